"""Validation of a quarterly return: read it, check it against the GX suites, report findings.

>>> report = validate_return(path, catalogue=cat, group="HCP",
...                          period="2025-26-Q2")  # doctest: +SKIP
>>> report.errors, report.warnings  # doctest: +SKIP

Errors block the return; warnings are accepted only with an explanation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from metrics.core.catalogue import Catalogue
from metrics.core.findings import Finding, Severity, sort_findings
from metrics.core.identifiers import find
from metrics.core.limits import ReadLimits
from metrics.core.periods import PeriodError, Quarter
from metrics.returns.reading import read_return
from metrics.returns.reading.base import RawReturn, ReadError
from metrics.returns.validation import prepare
from metrics.returns.validation.gx_runner import drop_masked, run_suite
from metrics.returns.validation.rules import load_rules

IDENTIFIER_RULES = {"H02", "C17"}
logger = logging.getLogger(__name__)


class ReturnContextError(ValueError):
    """The group or period named for a return is not valid (not a problem in the file)."""


@dataclass
class ValidationReport:
    group: str
    period: str
    findings: list[Finding]
    observations: pl.DataFrame | None = None
    commentary: pl.DataFrame | None = None
    rows: int = 0
    file_format: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def contains_identifiers(self) -> bool:
        """Whether the file looks like it holds child-level data (then nothing of it is kept)."""
        return any(f.rule in IDENTIFIER_RULES for f in self.findings)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 warnings only, 2 errors (the CLI's convention)."""
        if self.errors:
            return 2
        return 1 if self.warnings else 0


def check_context(catalogue: Catalogue, group: str, period: str) -> Quarter:
    if group not in catalogue.group:
        raise ReturnContextError(
            f"'{group}' is not a delivery group; choose one of {', '.join(catalogue.group)}"
        )
    try:
        return Quarter.parse(period)
    except PeriodError as exc:
        raise ReturnContextError(str(exc)) from None


def validate_return(
    source: bytes | str | Path,
    *,
    catalogue: Catalogue,
    group: str,
    period: str,
    history: pl.DataFrame | None = None,
    file_name: str | None = None,
    limits: ReadLimits | None = None,
) -> ValidationReport:
    """Read and check one return. ``history`` holds the group's accepted figures for
    earlier periods (columns indicator_code, period, area_code, breakdown, numerator,
    denominator, value) for the cross-period warnings.

    Whatever the file holds, the answer is a report: a problem with the file is a finding
    with its row and column; a fault in this program is reported as rule S01 (logged with
    its traceback for the maintainers), never raised to the person who uploaded it.
    """
    quarter = check_context(catalogue, group, period)
    report = ValidationReport(group=group, period=quarter.code, findings=[])
    try:
        raw = read_return(source, file_name=file_name, limits=limits)
        _check(report, raw, catalogue=catalogue, group=group, quarter=quarter, history=history)
    except ReadError as exc:
        report.findings = exc.findings
    except Exception:
        logger.exception("validating a return for %s %s failed", group, quarter.code)
        report.findings = [system_fault()]
        report.observations = report.commentary = None
    return report


def system_fault() -> Finding:
    """The finding for a check that could not run (a fault here, not in the file)."""
    rule = load_rules()["S01"]
    return Finding(rule.code, rule.severity, None, None, None, rule.message)


def _check(
    report: ValidationReport,
    raw: RawReturn,
    *,
    catalogue: Catalogue,
    group: str,
    quarter: Quarter,
    history: pl.DataFrame | None,
) -> None:

    report.rows = raw.frame.height
    report.file_format = raw.file_format
    display = dict(zip(raw.columns, raw.header, strict=False))

    findings = run_suite(
        "header",
        prepare.header_frame(raw),
        parameters=prepare.header_parameters(),
    )
    findings = [_header_column(f, raw) for f in drop_masked(findings)]
    if any(f.severity is Severity.ERROR for f in findings):
        report.findings = sort_findings(findings)
        return
    if raw.frame.height == 0:
        rule = load_rules()["R06"]
        report.findings = [
            Finding(
                "R06",
                rule.severity,
                None,
                None,
                None,
                "The file has headings but no figures. Fill in the template.",
            )
        ]
        return

    frame = prepare.prepare_content(
        raw, catalogue=catalogue, group=group, quarter=quarter, history=history
    )
    pandas_frame = frame.to_pandas()
    params = prepare.content_parameters(catalogue, group, quarter)
    findings += run_suite("content", pandas_frame, parameters=params, display=display)
    coverage = prepare.coverage_frame(frame, catalogue, group, quarter)
    findings += run_suite("coverage", coverage.to_pandas(), parameters={})
    if history is not None and not history.is_empty():
        findings += run_suite("history", pandas_frame, parameters={}, display=display)
    report.findings = sort_findings(name_places(drop_masked(findings), catalogue))
    if not report.errors:
        report.observations = prepare.to_observations(frame, catalogue)
        report.commentary = prepare.commentary_by_indicator(frame)


def name_places(findings: list[Finding], catalogue: Catalogue) -> list[Finding]:
    """Messages that give an area's code give its name too: "Castle Vale (E05099007)"."""
    names = {code: area.name for code, area in catalogue.area.items()}
    codes = re.compile(r"(?<![\w(])(" + "|".join(map(re.escape, names)) + r")(?![\w)])")
    return [
        replace(f, message=codes.sub(lambda m: f"{names[m[1]]} ({m[1]})", f.message))
        for f in findings
    ]


def _header_column(finding: Finding, raw) -> Finding:
    """Header findings name the heading as written and its spreadsheet column letter."""
    if finding.row is None:
        return finding
    try:
        position = raw.columns.index(finding.value)
    except ValueError:
        return finding
    heading = raw.header[position]
    letter = prepare.column_letter(position)
    return Finding(
        finding.rule,
        finding.severity,
        1,
        f"{letter} ({heading})",
        heading,
        finding.message,
        subject=heading,
    )


def identifiers_in(texts: dict[str, str]) -> dict[str, list[str]]:
    """Which of the texts someone typed (explanations, names) look like they hold a
    child's details, and what kind: they are kept with the data, so they are refused."""

    return {key: kinds for key, text in texts.items() if (kinds := find(text or ""))}


def explain(findings: list[Finding], explanations: dict[str, str]) -> list[Finding]:
    """Attach explanations to warnings: keys are a finding's ``key`` or a rule code."""
    out = []
    for f in findings:
        text = explanations.get(f.key) or explanations.get(f.rule)
        if f.severity is Severity.WARNING and text and text.strip():
            f = Finding(
                f.rule, f.severity, f.row, f.column, f.value, f.message, text.strip(), f.subject
            )
        out.append(f)
    return out

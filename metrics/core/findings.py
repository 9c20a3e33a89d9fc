"""A finding: one problem a check found in a return, located for the person who fixes it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem.

    ``row`` is the row number as the submitter sees it in their file or spreadsheet
    (the header is row 1), or ``None`` for a problem with the file as a whole.
    """

    rule: str
    severity: Severity
    row: int | None
    column: str | None
    value: str | None
    message: str
    explanation: str | None = None
    subject: str | None = None
    """What the finding is about (indicator, area, breakdown); carries explanations forward."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        return out

    @property
    def key(self) -> str:
        """What identifies "the same warning" across versions of a return."""
        return f"{self.rule}|{self.subject or ''}|{self.column or ''}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then by row and rule."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    return sorted(
        findings,
        key=lambda f: (
            order[f.severity],
            f.row if f.row is not None else 0,
            f.rule,
            f.column or "",
        ),
    )


ROOT_CAUSES = {"C02": 0, "C03": 0, "C04": 1, "C05": 2, "C06": None}
"""Rules about a row's codes, with the part of (indicator, area, breakdown) each is about:
a row with a wrong code also leaves the row it was meant to be missing."""


def by_cause(findings: list[Finding]) -> list[tuple[Finding, Finding | None]]:
    """The findings in the order to read them: each wrong-code finding followed by the
    "missing row" finding it explains, paired with it; the rest as they were.

    A mistyped row stands for one intended row: a missing row is put down to a row whose
    code is wrong when the two differ in that code alone (a wrong period: in nothing).
    Missing rows with one such candidate are matched first, then the rest in order.
    """
    roots = [f for f in findings if f.rule in ROOT_CAUSES and f.row is not None and f.subject]
    missing = [f for f in findings if f.rule == "C16" and f.value]
    candidates = {id(m): [r for r in roots if _explains(r, m)] for m in missing}
    cause_of: dict[int, Finding] = {}
    taken: set[int] = set()
    for m in sorted(missing, key=lambda m: len(candidates[id(m)])):
        free = [r for r in candidates[id(m)] if id(r) not in taken]
        if free:
            cause_of[id(m)] = free[0]
            taken.add(id(free[0]))
    out: list[tuple[Finding, Finding | None]] = []
    for f in findings:
        if id(f) in cause_of:
            continue
        out.append((f, None))
        out.extend((m, f) for m in missing if cause_of.get(id(m)) is f)
    return out


def _explains(root: Finding, missing: Finding) -> bool:
    have = (root.subject or "").split(" ")
    parts = (missing.value or "").split(" ")  # indicator period area breakdown
    if len(parts) != 4 or len(have) != 3:
        return False
    wanted = (parts[0], parts[2], parts[3])
    differ = [i for i in range(3) if have[i] != wanted[i]]
    part = ROOT_CAUSES[root.rule]
    return differ == ([] if part is None else [part])

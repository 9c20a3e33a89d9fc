"""Run the GX suites in ``expectations/`` over a pandas frame and turn results into findings.

GX has no Polars support, so the prepared Polars frame is handed over as pandas. GX is
imported on first use (it takes seconds). Each validation borrows an engine of its own
(an ephemeral context, data source and batch definition) from a small pool, so any number
of sessions can validate at once without sharing GX state or waiting on one lock.

Each verdict is computed once per case: a suite run over the same frame with the same
parameters (a file checked again on a page's rerun, or checked and then submitted) gives
the findings remembered from the first run (:class:`Verdicts`, a bounded, locked cache in
this process, keyed by a digest of the suite's expectations as run and the whole frame),
and, with ``OUTCOMES_VERDICTS_DIR`` set, in a folder shared by several processes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from metrics.core.findings import Finding, Severity
from metrics.core.formatting import change, figure
from metrics.core.periods import is_period, period_label
from metrics.core.settings import setting
from metrics.returns.reading.base import ROW_COLUMN
from metrics.returns.validation.rules import SUITES, Rule, format_value, load_rules, load_suite

MAX_FINDINGS_PER_CHECK = 1000
WITHHELD = "[withheld: looks like a child's details]"

logger = logging.getLogger(__name__)
_gx_lock = threading.Lock()
_idle: list[_Engine] = []
MAX_IDLE_ENGINES = 8
"""Engines kept for reuse between validations; more are made when more run at once."""


class Verdicts:
    """The findings of the latest suite runs, by a digest of everything they depend on: the
    suite's expectations with their parameters, the rules' messages, the headings shown and
    the frame (columns, types, index and every cell). Shared by all sessions of the process;
    the oldest verdicts are forgotten past ``size``.

    With a ``folder`` (the setting ``OUTCOMES_VERDICTS_DIR``), each verdict is also kept
    there as a JSON file named by its digest, so that every process using the folder (the
    processes of one app, the tiers of one test run) computes a verdict once between them.
    A file is written whole or not at all (written aside, then renamed into place); one that
    cannot be read is ignored and the suite is run.
    """

    def __init__(self, size: int = 256, folder: Path | None = None) -> None:
        self.size = size
        self.folder = folder if size > 0 else None
        self._lock = threading.Lock()
        self._found: dict[str, tuple[Finding, ...]] = {}
        self.hits = self.runs = 0

    @staticmethod
    def key(name: str, expectations: list, display: dict, frame: pd.DataFrame) -> str | None:
        """The digest of a case, or None for a frame pandas cannot hash (then it is run)."""
        try:
            cells = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
        except TypeError:
            return None
        messages = sorted((r.code, r.severity.value, r.message) for r in load_rules().values())
        digest = hashlib.sha256()
        digest.update(json.dumps([name, expectations, display, messages], default=repr).encode())
        digest.update(
            json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode()
        )
        digest.update(cells)
        return digest.hexdigest()

    def get(self, key: str | None) -> list[Finding] | None:
        if key is None or self.size <= 0:
            return None
        with self._lock:
            found = self._found.pop(key, None)
            if found is not None:
                self._found[key] = found  # the most recently used last
                self.hits += 1
                return list(found)
        found = self._read(key)
        if found is None:
            return None
        with self._lock:
            self.hits += 1
            self._remember(key, found)
        return list(found)

    def put(self, key: str | None, findings: list[Finding]) -> None:
        with self._lock:
            self.runs += 1
            if key is None or self.size <= 0:
                return
            self._remember(key, tuple(findings))
        self._write(key, findings)

    def _remember(self, key: str, found: tuple[Finding, ...]) -> None:
        self._found[key] = found
        while len(self._found) > self.size:
            del self._found[next(iter(self._found))]

    def _read(self, key: str) -> tuple[Finding, ...] | None:
        if self.folder is None:
            return None
        try:
            items = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            return tuple(Finding(**{**i, "severity": Severity(i["severity"])}) for i in items)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _write(self, key: str, findings: list[Finding]) -> None:
        if self.folder is None:
            return
        aside = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            aside.write_text(json.dumps([f.as_dict() for f in findings]), encoding="utf-8")
            os.replace(aside, self.folder / f"{key}.json")
        except OSError:
            logger.warning("could not keep a verdict in %s", self.folder, exc_info=True)
            aside.unlink(missing_ok=True)


def _verdicts_folder() -> Path | None:
    folder = setting("OUTCOMES_VERDICTS_DIR")
    return Path(folder) if folder else None


VERDICTS = Verdicts(folder=_verdicts_folder())


class ValidationSystemError(RuntimeError):
    """A check could not run: a fault in the suites or in this program, not in the return."""


def _gx() -> Any:
    with _gx_lock:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        import great_expectations as gx

        return gx


class _Engine:
    """One GX context with its own pandas data source, batch definition and execution
    engine. A suite run holds an engine from start to finish, so no two validations ever
    share GX state: each gets exactly the verdict it would get alone."""

    def __init__(self) -> None:
        gx = _gx()
        with _gx_lock:  # making a context sets GX's process-wide "current project"
            context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = {"globally": False}
        source = context.data_sources.add_pandas("returns")
        asset = source.add_dataframe_asset("return")
        self.gx = gx
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole return")


@contextmanager
def engine() -> Iterator[_Engine]:
    """An engine for this validation alone: an idle one if there is one, else a new one."""
    with _gx_lock:
        held = _idle.pop() if _idle else None
    held = held or _Engine()
    try:
        yield held
    finally:
        with _gx_lock:
            if len(_idle) < MAX_IDLE_ENGINES:
                _idle.append(held)


def _expand(suite: dict[str, Any], parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """The suite's expectations with every ``$PARAMETER`` replaced by its value here, so
    that GX never evaluates a parameter expression (its expression parser is one object
    shared by the whole process, and not safe to use from two threads)."""
    out = []
    for exp in suite["expectations"]:
        item = copy.deepcopy(exp)
        item["kwargs"] = _substitute(item["kwargs"], parameters)
        out.append(item)
    return out


def _substitute(kwargs: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            name = value["$PARAMETER"]
            if name not in parameters:
                raise ValidationSystemError(f"no value for the suite parameter {name!r}")
            value = parameters[name]
        out[key] = value
    return out


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _columns_named(expectations: list[dict[str, Any]], columns: Iterable[str]) -> list[str]:
    """The frame's columns that the expectations name anywhere in their arguments (a
    column, a list of columns, a row condition): GX is handed only these. Its row
    conditions run ``DataFrame.query``, whose cost grows with every column of the frame,
    so a 52-column frame checked through 7 conditions spends most of its time there."""
    named = set(_NAME.findall(json.dumps([e["kwargs"] for e in expectations], default=str)))
    return [c for c in columns if c in named]


def run_suite(
    name: str,
    frame: pd.DataFrame,
    *,
    parameters: dict[str, Any],
    display: dict[str, str] | None = None,
) -> list[Finding]:
    """Validate ``frame`` against suite ``name``; one finding per unexpected row.

    ``display`` maps frame column names to the headings shown to the submitter. Rows are
    told apart by the frame's index (a finding's row is the frame's ``_row`` column).
    """
    frame = frame.reset_index(drop=True)
    suite_dict = load_suite(name)
    expectations = _expand(suite_dict, parameters)
    key = Verdicts.key(name, expectations, display or {}, frame)
    remembered = VERDICTS.get(key)
    if remembered is not None:
        return remembered
    findings = _run(name, suite_dict, expectations, frame, display or {})
    VERDICTS.put(key, findings)
    return findings


def _run(
    name: str,
    suite_dict: dict[str, Any],
    expectations: list[dict[str, Any]],
    frame: pd.DataFrame,
    display: dict[str, str],
) -> list[Finding]:
    checked = frame[_columns_named(expectations, frame.columns)]
    with engine() as gx_engine:
        suite = gx_engine.gx.ExpectationSuite(name=suite_dict["name"], expectations=expectations)
        batch = gx_engine.batch_definition.get_batch(batch_parameters={"dataframe": checked})
        result = batch.validate(
            suite,
            # no index column names: GX then lists each unexpected row's index label in
            # one step, where with names it looks every row up cell by cell (25 s for a
            # 10,000-row return full of errors, against under a second)
            result_format={"result_format": "COMPLETE"},
        )
    rules = load_rules()
    findings: list[Finding] = []
    for res in result.results:
        if res.success:
            continue
        info = res.exception_info or {}
        if info.get("raised_exception"):
            raise ValidationSystemError(
                f"check {res.expectation_config.type} in suite {name} failed to run: "
                f"{info.get('exception_message')}"
            )
        config = res.expectation_config
        meta = config.meta or {}
        rule = rules[meta["rule"]]
        findings.extend(
            _findings_for(
                rule,
                config.type,
                config.kwargs,
                meta,
                res.result,
                frame,
                display,
            )
        )
    return findings


def _findings_for(
    rule: Rule,
    kind: str,
    kwargs: dict[str, Any],
    meta: dict[str, Any],
    result: dict[str, Any],
    frame: pd.DataFrame,
    display: dict[str, str],
) -> list[Finding]:
    column = meta.get("column") or kwargs.get("column") or kwargs.get("column_A")
    shown_column = meta.get("label") or display.get(column, column)
    if kind == "expect_column_distinct_values_to_contain_set":
        wanted = kwargs["value_set"]
        present = set(frame[kwargs["column"]].dropna())
        missing = [w for w in wanted if w not in present]
        return [
            Finding(
                rule.code,
                rule.severity,
                None,
                shown_column,
                item.replace("|", " "),
                rule.render({"value": item.replace("|", " ")}),
                subject=item.replace("|", " "),
            )
            for item in missing[:MAX_FINDINGS_PER_CHECK]
        ]
    keys = list(result.get("unexpected_index_list") or [])
    out = []
    withhold = bool(meta.get("withhold_value"))
    records = frame.loc[keys[:MAX_FINDINGS_PER_CHECK]].to_dict("records")
    for record in records:
        fields = {k: (None if _isna(v) else v) for k, v in record.items()}
        fields = with_units(fields)
        row = fields[ROW_COLUMN]
        row = None if row is None else int(row)
        # a check over a list of columns (meta columns_from) reports each cell it names
        listed = meta.get("columns_from")
        columns = str(fields.get(listed) or "").split(",") if listed else [column]
        if withhold:
            fields = {k: (WITHHELD if k in columns else v) for k, v in fields.items()}
        subject = (
            " ".join(
                str(fields.get(k))
                for k in ("indicator_code", "area_code", "breakdown")
                if fields.get(k) is not None
            )
            or None
        )
        for name in columns:
            shown = shown_column if not listed else display.get(name, name)
            cell = fields.get(name)
            value = WITHHELD if withhold else (None if cell is None else format_value(cell))
            message = rule.render({**fields, "column": shown, "value": value})
            out.append(
                Finding(rule.code, rule.severity, row, shown, value, message, subject=subject)
            )
    if len(keys) > MAX_FINDINGS_PER_CHECK:
        out.append(
            Finding(
                rule.code,
                rule.severity,
                None,
                shown_column,
                None,
                f"... and {len(keys) - MAX_FINDINGS_PER_CHECK} more rows like these.",
            )
        )
    return out


SHOWN = ("_value_shown", "_previous_shown", "_change_shown", "_threshold_shown")


def with_units(fields: dict[str, Any]) -> dict[str, Any]:
    """A row's figures for a message, as the indicator shows them: rounded to its decimals,
    with its unit ("54.3%", "318.3 per 10,000 children"), a change signed ("+1.8 percentage
    points") and a threshold as a size ("15.0 percentage points")."""
    if not any(fields.get(k) is not None for k in SHOWN) or fields.get("_decimals") is None:
        return fields
    d, unit = int(fields["_decimals"]), str(fields.get("_unit") or "")
    after = "" if unit in ("", "%") else f" {unit}"
    points = " percentage points" if unit == "%" else after
    out = dict(fields)
    for key in ("_value_shown", "_previous_shown"):
        if fields.get(key) is not None:
            out[key] = figure(fields[key], d, unit) + after
    if fields.get("_change_shown") is not None:
        out["_change_shown"] = change(fields["_change_shown"], d) + points
    if fields.get("_threshold_shown") is not None:
        out["_threshold_shown"] = figure(fields["_threshold_shown"], d) + points
    if is_period(str(fields.get("_previous_period") or "")):
        out["_previous_period"] = period_label(fields["_previous_period"])
    return out


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def drop_masked(findings: list[Finding], suites: tuple[str, ...] = SUITES) -> list[Finding]:
    """Drop findings that a more telling finding on the same cell already covers (each
    expectation's meta ``unless``; ``unless_table`` for whole-file findings whose first
    word is another finding's value)."""
    unless: dict[str, set[str]] = {}
    unless_table: dict[str, set[str]] = {}
    for exp in (e for name in suites for e in load_suite(name)["expectations"]):
        meta = exp.get("meta", {})
        unless.setdefault(meta["rule"], set()).update(meta.get("unless", []))
        unless_table.setdefault(meta["rule"], set()).update(meta.get("unless_table", []))
    cells = {(f.rule, f.row, f.column) for f in findings}
    table_values = {(f.rule, f.value) for f in findings if f.row is None}
    kept = []
    for f in findings:
        if any((other, f.row, f.column) in cells for other in unless.get(f.rule, ())):
            continue
        first_word = (f.value or "").split(" ")[0]
        if f.row is None and any(
            (other, first_word) in table_values for other in unless_table.get(f.rule, ())
        ):
            continue
        kept.append(f)
    return kept

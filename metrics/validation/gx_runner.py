"""Run the GX suites in ``expectations/`` over a pandas frame and turn results into findings.

GX has no Polars support, so the prepared Polars frame is handed over as pandas. GX is
imported on first use (it takes seconds) and one ephemeral context serves the process.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from typing import Any

import pandas as pd

from metrics.findings import Finding
from metrics.reading import ROW_COLUMN
from metrics.validation.rules import SUITES, Rule, format_value, load_rules, load_suite

MAX_FINDINGS_PER_CHECK = 1000
WITHHELD = "[withheld: looks like a child's details]"

_lock = threading.Lock()
_state: dict[str, Any] = {}


class ValidationSystemError(RuntimeError):
    """A check could not run: a fault in the suites or in this program, not in the return."""


def _batch_definition() -> Any:
    with _lock:
        if "batch" not in _state:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
            logging.getLogger("great_expectations").setLevel(logging.ERROR)
            import great_expectations as gx

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = {"globally": False}
            source = context.data_sources.add_pandas("returns")
            asset = source.add_dataframe_asset("return")
            _state["gx"] = gx
            _state["batch"] = asset.add_batch_definition_whole_dataframe("whole return")
        return _state["batch"]


def _expand(suite: dict[str, Any], column_sets: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for exp in suite["expectations"]:
        meta = exp.get("meta", {})
        each = meta.get("for_each")
        if each:
            for column in column_sets.get(each, []):
                item = copy.deepcopy(exp)
                item["kwargs"]["column"] = column
                out.append(item)
        else:
            out.append(exp)
    return out


def run_suite(
    name: str,
    frame: pd.DataFrame,
    *,
    parameters: dict[str, Any],
    column_sets: dict[str, list[str]] | None = None,
    display: dict[str, str] | None = None,
    index_column: str = ROW_COLUMN,
) -> list[Finding]:
    """Validate ``frame`` against suite ``name``; one finding per unexpected row.

    ``display`` maps frame column names to the headings shown to the submitter;
    ``index_column`` identifies rows uniquely (the finding's row is the frame's ``_row``).
    """
    batch_definition = _batch_definition()
    gx = _state["gx"]
    suite_dict = load_suite(name)
    expectations = _expand(suite_dict, column_sets or {})
    suite = gx.ExpectationSuite(name=suite_dict["name"], expectations=expectations)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        expectation_parameters=parameters,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": [index_column],
        },
    )
    rules = load_rules()
    by_row = frame.set_index(index_column, drop=False)
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
                by_row,
                parameters,
                display or {},
                index_column,
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
    by_row: pd.DataFrame,
    parameters: dict[str, Any],
    display: dict[str, str],
    index_column: str,
) -> list[Finding]:
    column = meta.get("column") or kwargs.get("column") or kwargs.get("column_A")
    shown_column = meta.get("label") or display.get(column, column)
    if kind == "expect_column_distinct_values_to_contain_set":
        wanted = kwargs["value_set"]
        if isinstance(wanted, dict):
            wanted = parameters[wanted["$PARAMETER"]]
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
    keys = [entry[index_column] for entry in result.get("unexpected_index_list") or []]
    out = []
    for key in keys[:MAX_FINDINGS_PER_CHECK]:
        record = by_row.loc[key]
        fields = {k: (None if _isna(v) else v) for k, v in record.items()}
        row = fields[ROW_COLUMN]
        row = None if row is None else int(row)
        cell = fields.get(column)
        withhold = bool(meta.get("withhold_value"))
        value = WITHHELD if withhold else (None if cell is None else format_value(cell))
        fields.update(column=shown_column, value=value)
        if withhold:
            fields = {k: (WITHHELD if k == column else v) for k, v in fields.items()}
        subject = (
            " ".join(
                str(fields.get(k))
                for k in ("indicator_code", "area_code", "breakdown")
                if fields.get(k) is not None
            )
            or None
        )
        out.append(
            Finding(
                rule.code,
                rule.severity,
                row,
                shown_column,
                value,
                rule.render(fields),
                subject=subject,
            )
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

"""The content and history checks written as plain Polars expressions.

Not the product's validation (that is the GX suites): a baseline for the benchmark in
``bench/`` and a cross-check, tested to flag the same rows as the suites. Boolean flags
are computed first and then filtered, rather than building findings row by row.
"""

from __future__ import annotations

import polars as pl

from metrics.core.catalogue import Catalogue
from metrics.core.findings import Finding
from metrics.core.periods import Quarter
from metrics.returns.reading.base import ROW_COLUMN
from metrics.returns.validation.gx_runner import drop_masked
from metrics.returns.validation.prepare import CODE_COLUMNS, FIGURE_COLUMNS, coverage_frame
from metrics.returns.validation.rules import load_rules

CELL_LISTS = {"C17": "_identifier_in", "C18": "_formula_in", "C19": "_implausible_in"}
CELL_LISTS |= {"C21": "_fraction_in", "C22": "_gives_back_in"}
"""Checks whose prepared column lists, per row, the cells they flag."""


def row_flags(frame: pl.DataFrame, params: dict) -> list[tuple[str, str, pl.Expr]]:
    """(rule, column, flag) for every row-level check."""
    kind = pl.col("_kind")
    flags: list[tuple[str, str, pl.Expr]] = [("C01", c, pl.col(c).is_null()) for c in CODE_COLUMNS]
    flags += [
        (
            "C02",
            "indicator_code",
            pl.col("indicator_code").is_not_null()
            & ~pl.col("indicator_code").is_in(params["known_indicators"]),
        ),
        (
            "C03",
            "indicator_code",
            pl.col("_owner").is_not_null()
            & ~pl.col("indicator_code").is_in(params["group_indicators"]),
        ),
        (
            "C04",
            "area_code",
            pl.col("area_code").is_not_null() & ~pl.col("area_code").is_in(params["known_areas"]),
        ),
        (
            "C05",
            "breakdown",
            pl.col("breakdown").is_not_null()
            & ~pl.col("breakdown").is_in(params["known_breakdowns"]),
        ),
        ("C06", "period", (pl.col("_period_found") != pl.col("_expected_period")).fill_null(False)),
        (
            "C07",
            "breakdown",
            pl.col("_checkable") & ~pl.col("_combo").is_in(params["permitted_combinations"]),
        ),
    ]
    flags += [
        ("C08", c, pl.col(c).is_not_null() & ~pl.col(c).str.contains(params["number_pattern"]))
        for c in FIGURE_COLUMNS
    ]
    flags += [
        (
            "C10",
            "numerator",
            kind.is_in(["proportion", "rate", "count"]) & pl.col("numerator").is_null(),
        ),
        (
            "C10",
            "denominator",
            kind.is_in(["proportion", "rate", "mean"]) & pl.col("denominator").is_null(),
        ),
        ("C10", "value", (kind == "mean") & pl.col("value").is_null()),
        (
            "C11",
            "numerator",
            ((kind == "proportion") & (pl.col("_denominator") < pl.col("_numerator"))).fill_null(
                False
            ),
        ),
    ]
    flags += [("C12", c, (pl.col(f"_{c}") < 0).fill_null(False)) for c in FIGURE_COLUMNS]
    flags += [
        (
            "C13",
            "denominator",
            (kind.is_in(["proportion", "rate", "mean"]) & (pl.col("_denominator") == 0)).fill_null(
                False
            ),
        ),
        (
            "C14",
            "value",
            (pl.col("_value_discrepancy") > pl.col("_value_tolerance")).fill_null(False),
        ),
        ("C20", "numerator", pl.col("_total_mismatch").fill_null(False)),
        ("W01", "value", (pl.col("_abs_change") > pl.col("_change_threshold")).fill_null(False)),
        ("W02", "numerator", pl.col("_same_as_previous").fill_null(False)),
    ]
    keys = ["indicator_code", "period", "area_code", "breakdown"]
    flags.append(("C09", "indicator_code", pl.struct(keys).is_duplicated()))
    return flags


def check(
    frame: pl.DataFrame,
    params: dict,
    *,
    catalogue: Catalogue,
    group: str,
    quarter: Quarter,
    with_history: bool,
) -> list[Finding]:
    """Findings (rule, row, column; no messages) from the prepared frame."""
    rules = load_rules()
    flags = [f for f in row_flags(frame, params) if with_history or f[0] not in ("W01", "W02")]
    names = [f"f{i}" for i in range(len(flags))]
    flagged = frame.select(
        ROW_COLUMN, *[expr.alias(name) for name, (_, _, expr) in zip(names, flags, strict=True)]
    )
    findings = []
    for name, (rule, column, _) in zip(names, flags, strict=True):
        rows = flagged.filter(pl.col(name))[ROW_COLUMN].to_list()
        findings += [Finding(rule, rules[rule].severity, int(r), column, None, "") for r in rows]
    for rule, listed in CELL_LISTS.items():
        cells = frame.select(ROW_COLUMN, pl.col(listed).str.split(",")).drop_nulls().explode(listed)
        findings += [
            Finding(rule, rules[rule].severity, int(r), column, None, "")
            for r, column in cells.iter_rows()
        ]
    present = set(frame["indicator_code"].drop_nulls().unique())
    missing = [c for c in params["due_indicators"] if c not in present]
    findings += [
        Finding("C15", rules["C15"].severity, None, "indicator_code", c, "") for c in missing
    ]
    coverage = coverage_frame(frame, catalogue, group, quarter)
    findings += [
        Finding("C16", rules["C16"].severity, None, "indicator_code", due, "")
        for due in coverage.filter(~pl.col("_present"))["_due"].to_list()
    ]
    return drop_masked(findings)

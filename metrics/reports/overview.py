"""The board overview for a quarter: what the board page shows and the board pack prints.

:func:`build_overview` reads, for one level of disclosure, every indicator's figure with its
comparisons, the summaries by outcome and plan priority, the exception list and the returns
status; :func:`indicator_rows` formats the indicator table once, for the page, its CSV and
the pack alike. Both read from a store or from the store as it stood at a meeting's cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from metrics.core.catalogue import Catalogue
from metrics.core.formatting import (
    COMPARISON_LABELS,
    DIRECTION_LABELS,
    SUPPRESSED,
    change,
    each_value,
    figure,
    interval,
    rag_label,
    round_half_up,
)
from metrics.core.periods import period_label
from metrics.reports import board as board_rules
from metrics.reports import figures as report_figures
from metrics.store.connection import Store, StoreAsAt


@dataclass(frozen=True)
class Overview:
    period: str
    period_label: str
    on: date
    """The day the overview is for: late returns and overdue actions are judged then."""
    concealed: bool
    neighbour_average: str
    indicators: pl.DataFrame
    """One row per indicator (:func:`metrics.report_figures.indicator_table` with benchmarks)."""
    by_outcome: pl.DataFrame
    by_priority: pl.DataFrame
    exceptions: pl.DataFrame
    """The exception list (:func:`metrics.board_rules.exception_list`): listed and taken off."""
    returns: pl.DataFrame

    @property
    def listed(self) -> pl.DataFrame:
        """The indicators on the exception list."""
        if self.exceptions.is_empty():
            return self.exceptions
        return self.exceptions.filter(pl.col("listed"))

    @property
    def taken_off(self) -> pl.DataFrame:
        """Indicators a rule would list that the board has taken off."""
        if self.exceptions.is_empty():
            return self.exceptions
        return self.exceptions.filter(~pl.col("listed"))


def build_overview(
    source: Store | StoreAsAt,
    catalogue: Catalogue,
    period: str,
    *,
    concealed: bool,
    on: date | None = None,
) -> Overview:
    """The overview for ``period`` as a reader who may (or, ``concealed``, may not) see
    small numbers sees it."""
    on = on or source.clock.today()
    # each thing read once: the values, the benchmarks, the returns, the board's decisions
    history = report_figures.values_as_at(source, catalogue, period, concealed=concealed)
    table = report_figures.indicator_table(
        source, catalogue, period, concealed=concealed, history=history
    )
    table = report_figures.with_benchmarks(
        table, source, catalogue, period, concealed=concealed, history=history
    )
    returns = board_rules.returns_status(source, catalogue, period, today=on)
    exceptions = board_rules.exception_list(
        source, catalogue, table, period, on=on, returns=returns
    )
    if concealed and not exceptions.is_empty():  # commentary could give a withheld figure away
        exceptions = report_figures.withhold_commentary(
            exceptions,
            report_figures.withheld_periods(history),
            period="commentary_period",
            text="commentary",
        )
    return Overview(
        period=period,
        period_label=period_label(period),
        on=on,
        concealed=concealed,
        neighbour_average=catalogue.settings.neighbour_average,
        indicators=table,
        by_outcome=report_figures.rag_summary(table, catalogue, by="outcome"),
        by_priority=report_figures.rag_summary(table, catalogue, by="priority"),
        exceptions=exceptions,
        returns=returns,
    )


def _verdict(row: dict, column: str) -> str:
    return COMPARISON_LABELS.get(row.get(column) or "", "")


def indicator_rows(table: pl.DataFrame) -> pl.DataFrame:
    """The indicator table as people read it: each figure formatted by its indicator's unit
    and decimals, ``c`` where withheld, labels for ratings. The keys a page filters on are
    kept, unformatted, in the columns that start with ``_``."""
    rows = []
    for r in table.iter_rows(named=True):
        d, unit = r["decimals"], r["unit"]
        hidden = r.get("suppression") is not None
        population = r["measure"].startswith("Population")
        rows.append(
            {
                "Code": r["indicator_code"],
                "Title": r["title"],
                "Outcome": r["outcome"],
                "Period": period_label(r["period"]) if r.get("period") else "–",
                "Value": figure(r.get("value"), d, unit, suppressed=hidden),
                "Unit": unit,
                "95% interval": SUPPRESSED
                if hidden
                else interval(r.get("lower_95"), r.get("upper_95"), d),
                "Target": figure(r.get("target"), d, unit),
                "RAG": rag_label(r["rag"]),
                "Since last period": SUPPRESSED
                if hidden
                else change(r.get("change_previous"), d, unit),
                "Since a year ago": SUPPRESSED if hidden else change(r.get("change_year"), d, unit),
                "Direction": DIRECTION_LABELS.get(r["direction"], r["direction"]),
                "Recent trend": r.get("trend") or "",
                "England": figure(r.get("england"), d, unit),
                "Neighbours": figure(r.get("neighbours"), d, unit),
                "Region": figure(r.get("region"), d, unit),
                "Published year": (r.get("benchmark_period") or "")
                + (" (latest)" if r.get("benchmark_matched") is False else ""),
                "Compared with England": _verdict(r, "vs_england") or r.get("benchmark_note", ""),
                "England (99.8%)": _verdict(r, "vs_england_998"),
                "Compared with neighbours": _verdict(r, "vs_neighbours"),
                "Trend": r.get("recent") or [],
                "Measure": r["measure"],
                "Group": f"The partnership (reported by {r['group']})"
                if population
                else r["group"],
                "Last return": r["submitted_at"].strftime("%d %b %Y")
                if r.get("submitted_at")
                else "–",
                "_period": r.get("period"),
                "_rag": r["rag"],
                "_direction": r["direction"],
                "_outcome": r["outcome_code"],
                "_priorities": r["priority_codes"] or [],
                "_group": r["group_code"],
                "_population": population,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


KEY_COLUMNS = (
    "Code",
    "Title",
    "Period",
    "Value",
    "Target",
    "RAG",
    "Direction",
    "Compared with England",
)
"""The indicator table's columns a board member reads first, which fit a laptop's screen
beside the menu; the others (interval, changes, trend, benchmarks, group) on request."""


def filter_rows(
    rows: pl.DataFrame,
    *,
    outcomes: list[str] = (),
    priorities: list[str] = (),
    rags: list[str] = (),
    directions: list[str] = (),
    groups: list[str] = (),
    measures: list[str] = ("population", "performance"),
) -> pl.DataFrame:
    """The rows of :func:`indicator_rows` that meet every filter given (codes, as the
    catalogue spells them; an empty filter keeps every row). An indicator under several plan
    priorities is kept when any of them is chosen."""
    keep = pl.col("_population") & pl.lit("population" in measures) | ~pl.col(
        "_population"
    ) & pl.lit("performance" in measures)
    for column, chosen in (
        ("_outcome", outcomes),
        ("_rag", rags),
        ("_direction", directions),
        ("_group", groups),
    ):
        if chosen:
            keep &= pl.col(column).is_in(list(chosen))
    if priorities:
        keep &= pl.col("_priorities").list.eval(pl.element().is_in(list(priorities))).list.any()
    return rows.filter(keep)


def commentary_note(row: dict) -> str:
    """What an exception's commentary still needs, in words (empty when it is current)."""
    group = row["group"]
    if not row["commentary_given"] and row.get("commentary"):
        return (
            f"This commentary was written for {period_label(row['commentary_period'])}, "
            f"before the latest figure ({period_label(row['period'])}): {group} should "
            "update it before the meeting."
        )
    if not row["commentary_given"]:
        return f"Commentary needed from {group} before the meeting."
    if row["commentary_stale"]:
        return (
            "This is the same commentary as for the period before, while the figure moved: "
            f"{group} should say whether it still holds."
        )
    return ""


_RAG_ORDER = {"red": 0, "amber": 1, "green": 2, "suppressed": 3, "no target": 4}
_DIRECTION_ORDER = {"worsening": 0, "no change": 1, "improving": 2}
_ENGLAND_ORDER = {"● Worse": 0, "○ Similar": 1, "● Better": 2}


def sort_rows(rows: pl.DataFrame, order: str) -> pl.DataFrame:
    """The rows of :func:`indicator_rows` in the order a reader chose: ``outcome`` (as the
    plan lists them, the rows' own order), ``rag`` (red first), ``direction`` (worsening
    first), ``england`` (worse than England first) or ``title``."""
    if order == "outcome":
        return rows
    if order == "title":
        return rows.sort("Title")
    column, ranks = {
        "rag": ("_rag", _RAG_ORDER),
        "direction": ("_direction", _DIRECTION_ORDER),
        "england": ("Compared with England", _ENGLAND_ORDER),
    }[order]
    key = pl.col(column).replace_strict(ranks, default=len(ranks), return_dtype=pl.Int64)
    return rows.with_row_index("_n").sort(key, "_n").drop("_n")


def indicator_download(table: pl.DataFrame, codes: list[str] | None = None) -> pl.DataFrame:
    """The indicator table for a CSV download: figures as numbers (rounded half up to each
    indicator's decimals, so a spreadsheet can sort and sum them), periods as codes beside
    their labels, and a figure withheld for small numbers left blank with ``c`` in
    ``suppressed``; only the indicators ``codes`` names, in its order, when given."""
    if codes is not None:
        order = pl.DataFrame({"indicator_code": codes}).with_row_index("_order")
        table = table.join(order, on="indicator_code").sort("_order").drop("_order")
    if "period" not in table.columns:
        return table.select("indicator_code", "title")
    d = pl.col("decimals")
    figures = [
        c
        for c in (
            "value",
            "lower_95",
            "upper_95",
            "target",
            "change_previous",
            "change_year",
            "england",
            "neighbours",
            "region",
        )
        if c in table.columns
    ]
    return table.select(
        pl.col("indicator_code").alias("code"),
        "title",
        "outcome",
        "period",
        each_value(table, "period", period_label, pl.String).alias("period_label"),
        *(round_half_up(pl.col(c).cast(pl.Float64), d).alias(c) for c in figures),
        "unit",
        "rag",
        "direction",
        *(c for c in ("benchmark_period", "vs_england", "vs_neighbours") if c in table.columns),
        "measure",
        "group",
        pl.when(pl.col("suppression").is_not_null())
        .then(pl.lit(SUPPRESSED))
        .otherwise(pl.lit(""))
        .alias("suppressed"),
    )


def summary_sentence(summary: pl.DataFrame, heading: str) -> str:
    """One sentence on the summary chart (:func:`metrics.report_figures.rag_summary`): how many
    indicators are red, amber, green and not rated, how many improve and worsen, and where
    the most red ones are."""
    if summary.is_empty():
        return "No indicators have figures for this quarter."
    total = {c: int(summary[c].sum()) for c in ("red", "amber", "green", "no_target")}
    text = (
        f"Across {heading}: {total['red']} red, {total['amber']} amber, {total['green']} "
        f"green and {total['no_target']} not rated; {int(summary['improving'].sum())} "
        f"improving and {int(summary['worsening'].sum())} worsening"
    )
    most = summary.sort("red", descending=True, maintain_order=True).row(0, named=True)
    if most["red"]:
        text += f". Most red: {most['heading']} ({most['red']})"
    return text + "."


def totals_sentence(frame: pl.DataFrame, label: str, columns: list[str], noun: str) -> str:
    """One sentence on a stacked or grouped count chart: the total of each column (``noun``
    says what is counted) and the row (named by ``label``) with the most.

    >>> totals_sentence(
    ...     pl.DataFrame({"g": ["A", "B"], "errors": [1, 4], "warnings": [2, 0]}),
    ...     "g", ["errors", "warnings"], "findings")
    'In all: 5 errors and 2 warnings (7 findings); the most in B (4).'
    """
    present = [c for c in columns if c in frame.columns]
    if frame.is_empty() or not present:
        return f"No {noun} yet."
    totals = [f"{int(frame[c].sum())} {c}" for c in present]
    said = ", ".join(totals[:-1]) + f" and {totals[-1]}" if len(totals) > 1 else totals[0]
    each = frame.select(label, pl.sum_horizontal(present).alias("_total"))
    top = each.sort("_total", descending=True, maintain_order=True).row(0, named=True)
    return (
        f"In all: {said} ({int(each['_total'].sum())} {noun}); the most in {top[label]} "
        f"({int(top['_total'])})."
    )

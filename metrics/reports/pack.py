"""The board pack for a meeting: what the board reads before it meets, built from the
figures as they stood at the meeting's data cut-off, as the reader may see them.

:func:`build_pack` gathers the objects; :mod:`metrics.reports.html` lays them out and
:mod:`metrics.reports.pdf` prints them. The pack reads through the same queries as the pages
(suppression included), so a figure in the pack and on screen cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from metrics import queries
from metrics.catalogue import Catalogue
from metrics.formatting import change, figure
from metrics.periods import Quarter, is_period
from metrics.reports.indicator import turn_the_curve
from metrics.store import Store, StoreAsAt

POLARITY = {
    "high_is_good": "higher is better",
    "low_is_good": "lower is better",
    "no_judgement": "no better direction (context)",
}


@dataclass(frozen=True)
class Section:
    """One exception indicator: its figure, its trend and the group's commentary."""

    code: str
    title: str
    group: str
    outcome: str
    definition: str
    unit: str
    decimals: int
    polarity: str
    period: str
    value: str
    target: str
    rag: str
    direction: str
    since_last: str
    commentary: str
    why: str
    """Why it is on the exception list: the rules it meets, or the board's reason."""
    trend: pl.DataFrame
    """period, value, lower_95, upper_95, target, numerator, denominator, suppression."""
    summary: str
    """One sentence that says what the trend chart shows (its alternative text)."""
    curve: pl.DataFrame
    """The baseline forecast (turn the curve): period, forecast, lower, upper, target."""


@dataclass(frozen=True)
class BoardPack:
    meeting: dict
    partnership: str
    authority: str
    period: str
    period_label: str
    cut_off: datetime
    made_on: date
    marking: str
    concealed: bool
    indicators: pl.DataFrame
    by_outcome: pl.DataFrame
    by_priority: pl.DataFrame
    sections: list[Section]
    challenges: pl.DataFrame
    actions: pl.DataFrame
    returns: pl.DataFrame
    definitions: list[dict]


def period_label(code: str) -> str:
    """``2026-27-Q2`` as ``2026-27 Q2 (Jul–Sep)``; a year as it is."""
    try:
        return Quarter.parse(code).label
    except ValueError:
        return code


def trend_summary(
    title: str,
    trend: pl.DataFrame,
    decimals: int,
    unit: str,
    curve: pl.DataFrame | None = None,
) -> str:
    """One sentence from the data: where the figure went over the periods shown, against
    its target; suppressed points are said to be withheld."""
    shown = trend.filter(pl.col("value").is_not_null())
    withheld = trend.height - shown.height
    if shown.is_empty():
        return f"{title}: every figure is withheld because the numbers are small."
    first, last = shown.row(0, named=True), shown.row(-1, named=True)
    text = (
        f"{title} went from {figure(first['value'], decimals, unit)} in "
        f"{period_label(first['period'])} to {figure(last['value'], decimals, unit)} in "
        f"{period_label(last['period'])}"
        if shown.height > 1
        else f"{title} was {figure(last['value'], decimals, unit)} in "
        f"{period_label(last['period'])}"
    )
    if last.get("target") is not None:
        text += f"; the target is {figure(last['target'], decimals, unit)}"
    if withheld:
        text += f"; {withheld} figure{'s are' if withheld > 1 else ' is'} withheld (small numbers)"
    if curve is not None and curve.height:
        ahead = curve.row(-1, named=True)
        text += (
            f"; if nothing changes it is heading for {figure(ahead['forecast'], decimals, unit)} "
            f"by {period_label(ahead['period'])}"
        )
    return text + "."


def build_pack(
    source: Store | StoreAsAt,
    live: Store,
    catalogue: Catalogue,
    meeting: dict,
    *,
    concealed: bool,
    marking: str,
    made_on: date | None = None,
) -> BoardPack:
    """The pack for ``meeting``, read from ``source`` (the store as at its cut-off); the
    challenges and actions are read from ``live`` as they stand (they have their own log)."""
    held_on = meeting["held_on"]
    period = queries.default_period(source, today=held_on)
    table = pl.DataFrame()
    sections: list[Section] = []
    by_outcome = by_priority = returns = pl.DataFrame()
    if period is not None:
        table = queries.indicator_table(source, catalogue, period, concealed=concealed)
        table = queries.with_benchmarks(table, source, catalogue, period, concealed=concealed)
        by_outcome = queries.rag_summary(table, catalogue, by="outcome")
        by_priority = queries.rag_summary(table, catalogue, by="priority")
        returns = queries.returns_status(source, catalogue, period, today=held_on)
        listed = queries.exception_list(source, catalogue, table, period, on=held_on)
        for row in listed.filter(pl.col("listed")).iter_rows(named=True) if listed.height else []:
            sections.append(section_for(source, catalogue, row, concealed=concealed))
    challenges = live.frame(
        "SELECT * FROM challenges WHERE status <> 'resolved' OR due_on >= ? "
        "ORDER BY status = 'resolved', due_on, id",
        [held_on],
    )
    actions = live.frame(
        "SELECT *, due_on < ? AND status NOT IN ('done', 'dropped') AS overdue FROM actions "
        "WHERE status NOT IN ('done', 'dropped') ORDER BY due_on, id",
        [held_on],
    )
    codes = [s.code for s in sections]
    definitions = [
        {
            "code": i.code,
            "title": i.title,
            "definition": i.definition,
            "source": i.source,
            "polarity": POLARITY[i.polarity.value],
        }
        for i in catalogue.indicators
        if i.code in codes
    ]
    return BoardPack(
        meeting=meeting,
        partnership=catalogue.settings.partnership,
        authority=catalogue.authority.name,
        period=period or "",
        period_label=period_label(period) if period and is_period(period) else "",
        cut_off=meeting["cut_off"],
        made_on=made_on or date.today(),
        marking=marking,
        concealed=concealed,
        indicators=table,
        by_outcome=by_outcome,
        by_priority=by_priority,
        sections=sections,
        challenges=challenges,
        actions=actions,
        returns=returns,
        definitions=definitions,
    )


def section_for(source, catalogue: Catalogue, row: dict, *, concealed: bool) -> Section:
    """One indicator's section from its row of an indicator table."""
    ind = catalogue.indicator[row["indicator_code"]]
    d, unit = ind.decimals, ind.unit
    trend = queries.indicator_series(
        source, catalogue, ind.code, area=catalogue.authority.code, concealed=concealed
    ).select(
        "period",
        "value",
        "lower_95",
        "upper_95",
        "target",
        "numerator",
        "denominator",
        "suppression",
    )
    hidden = row.get("suppression") is not None
    curve = turn_the_curve(trend, ind)
    return Section(
        code=ind.code,
        title=ind.title,
        group=catalogue.group[ind.group].name,
        outcome=catalogue.outcome[ind.outcome].title,
        definition=ind.definition,
        unit=unit,
        decimals=d,
        polarity=POLARITY[ind.polarity.value],
        period=row["period"],
        value=figure(row["value"], d, unit, suppressed=hidden),
        target=figure(row["target"], d, unit),
        rag=row["rag"],
        direction=row["direction"],
        since_last="c" if hidden else change(row["change_previous"], d, unit),
        commentary=row.get("commentary") or "",
        why=row.get("reasons") or f"added by the board: {row.get('decision_reason') or ''}",
        trend=trend,
        summary=trend_summary(ind.title, trend, d, unit, curve),
        curve=curve,
    )

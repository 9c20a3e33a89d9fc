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

from metrics.core.catalogue import Catalogue
from metrics.core.formatting import change, figure
from metrics.core.periods import is_period, period_label
from metrics.reports import figures as report_figures
from metrics.reports.indicator import Trend, build_trend, trend_summary  # noqa: F401
from metrics.reports.overview import Overview, build_overview, commentary_note
from metrics.store.connection import Store, StoreAsAt
from metrics.store.reads import board as board_reads

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
    commentary_note: str
    """What the commentary still needs (owed, older than the figure, or repeated while the
    figure moved); empty when it is current."""
    why: str
    """Why it is on the exception list: the rules it meets, or the board's reason."""
    report: Trend
    """Its trend, benchmarks and baseline forecast, as the indicator page shows them."""

    @property
    def trend(self) -> pl.DataFrame:
        return self.report.series

    @property
    def curve(self) -> pl.DataFrame:
        return self.report.curve

    @property
    def summary(self) -> str:
        return self.report.summary


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
    overview: Overview | None
    """The board overview for the period (None when nothing had been reported)."""
    sections: list[Section]
    challenges: pl.DataFrame
    actions: pl.DataFrame
    definitions: list[dict]


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
    period = report_figures.default_period(source, today=held_on)
    overview = None
    sections: list[Section] = []
    if period is not None:
        overview = build_overview(source, catalogue, period, concealed=concealed, on=held_on)
        sections = [
            section_for(source, catalogue, row, concealed=concealed)
            for row in overview.listed.iter_rows(named=True)
        ]
    challenges = board_reads.pack_challenges(live, held_on)
    actions = board_reads.pack_actions(live, held_on)
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
        made_on=made_on or live.clock.today(),
        marking=marking,
        concealed=concealed,
        overview=overview,
        sections=sections,
        challenges=challenges,
        actions=actions,
        definitions=definitions,
    )


def section_for(source, catalogue: Catalogue, row: dict, *, concealed: bool) -> Section:
    """One indicator's section from its row of an indicator table."""
    ind = catalogue.indicator[row["indicator_code"]]
    d, unit = ind.decimals, ind.unit
    trend = build_trend(source, catalogue, ind.code, concealed=concealed)
    hidden = row.get("suppression") is not None
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
        commentary_note=commentary_note(row) if "commentary_given" in row else "",
        why=row.get("reasons") or f"added by the board: {row.get('decision_reason') or ''}",
        report=trend,
    )

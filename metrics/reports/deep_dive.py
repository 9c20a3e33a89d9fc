"""A deep dive: a topic (indicators, or a plan priority's), the areas and breakdowns to look
at, and a narrative, written for one audience (the Health and Wellbeing Board, the
safeguarding partnership, scrutiny). Built from the same sections as a board pack, laid out
the same way, and printed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

import polars as pl

from metrics.core.catalogue import Catalogue
from metrics.core.formatting import figure
from metrics.reports import figures as report_figures
from metrics.reports import html as layout
from metrics.reports.pack import Section, period_label, section_for

AUDIENCES = ("Health and Wellbeing Board", "Safeguarding Children Partnership", "Scrutiny")


@dataclass(frozen=True)
class Topic:
    section: Section
    areas: pl.DataFrame
    """The chosen areas' figures for the section's period."""
    breakdowns: pl.DataFrame
    """The chosen breakdowns' figures for the section's period."""


@dataclass(frozen=True)
class DeepDive:
    record: dict
    partnership: str
    authority: str
    made_on: date
    marking: str
    concealed: bool
    topics: list[Topic]


def build_deep_dive(
    store,
    catalogue: Catalogue,
    record: dict,
    *,
    concealed: bool,
    marking: str,
    made_on: date | None = None,
) -> DeepDive:
    """The deep dive saved as ``record``, from the figures as they stand."""
    codes = list(record["indicators"]) or [
        i.code for i in catalogue.indicators if record["priority"] in i.priorities
    ]
    period = report_figures.default_period(store, today=made_on or store.clock.today())
    table = (
        report_figures.indicator_table(store, catalogue, period, concealed=concealed)
        if period
        else pl.DataFrame()
    )
    topics = []
    for code in codes:
        found = table.filter(pl.col("indicator_code") == code) if table.height else table
        if found.is_empty() or found["period"][0] is None:
            continue
        row = found.row(0, named=True)
        areas = pl.DataFrame()
        if record["areas"]:
            areas = report_figures.area_values(
                store, catalogue, code, row["period"], concealed=concealed
            ).filter(pl.col("area_code").is_in(list(record["areas"])))
        breakdowns = pl.DataFrame()
        ind = catalogue.indicator[code]
        chosen = [b for b in record["breakdowns"] if b in ind.breakdowns]
        if chosen:
            breakdowns = report_figures.breakdown_values(
                store, catalogue, code, concealed=concealed
            )
            breakdowns = breakdowns.filter(
                pl.col("dimension").is_in(chosen) & (pl.col("period") == row["period"])
            )
        topics.append(
            Topic(section_for(store, catalogue, row, concealed=concealed), areas, breakdowns)
        )
    return DeepDive(
        record=record,
        partnership=catalogue.settings.partnership,
        authority=catalogue.authority.name,
        made_on=made_on or store.clock.today(),
        marking=marking,
        concealed=concealed,
        topics=topics,
    )


def _figures(frame: pl.DataFrame, label: str, caption: str, section: Section) -> str:
    if frame.is_empty():
        return ""
    d, unit = section.decimals, section.unit
    rows = [
        [
            r[label],
            "c" if r["suppression"] else figure(r["value"], d, unit),
            "c" if r["suppression"] else figure(r["numerator"], 0),
            figure(r["denominator"], 0),
        ]
        for r in frame.iter_rows(named=True)
    ]
    return layout.table(
        caption,
        [label.replace("_", " ").title(), "Value", "Numerator", "Denominator"],
        rows,
        numbers={1, 2, 3},
    )


def render(dive: DeepDive) -> str:
    """The deep dive as an HTML document."""
    record = dive.record
    charts: dict[str, dict] = {}
    parts = []
    for n, topic in enumerate(dive.topics, start=1):
        html, spec = layout.section_html(n, topic.section, dive.authority, f"chart{n}")
        charts[f"chart{n}"] = spec
        extra = _figures(
            topic.areas.rename({"area_name": "area"}) if topic.areas.height else topic.areas,
            "area",
            f"{topic.section.code} by area, {period_label(topic.section.period)}",
            topic.section,
        ) + _figures(
            topic.breakdowns,
            "category",
            f"{topic.section.code} by group of children, {period_label(topic.section.period)}",
            topic.section,
        )
        parts.append(html.replace("</section>", extra + "</section>"))
    contents = "".join(
        f'<li><a href="#{escape(t.section.code)}">{escape(t.section.code)} '
        f"{escape(t.section.title)}</a></li>"
        for t in dive.topics
    )
    title = f"Deep dive: {record['title']}"
    return layout.document(
        title=title,
        body=f"""
<div class="cover">
<p class="marking">{escape(dive.marking)}</p>
<p>{escape(dive.partnership)}</p>
<h1>{escape(title)}</h1>
<p>For the {escape(record["audience"])}</p>
<p>Made on {dive.made_on:%d %B %Y} from the figures for {escape(dive.authority)} as they
stand. {escape(layout.suppression_note(dive.concealed))}</p>
</div>
<nav aria-label="Contents"><h2 id="contents">Contents</h2><ol>
<li><a href="#narrative">The story</a></li>{contents}</ol></nav>
<h2 id="narrative">The story</h2>
<div class="commentary">{escape(record["narrative"])}</div>
<h2>The indicators</h2>
{"".join(parts) or "<p>None of the indicators has figures yet.</p>"}
""",
        charts=charts,
    )

"""Trends for scrutiny: browse by outcome, indicator and area. Read-only."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import data, people, state
from metrics.core.access import can
from metrics.core.periods import period_label
from metrics.reports import charts
from metrics.reports import indicator as report

catalogue = data.catalogue()
me = people.actor()

st.title("Trends")
st.write(
    "Browse the partnership's indicators by outcome, compare localities, and download "
    "the figures. Nothing on this page changes any data."
)

outcomes = sorted(catalogue.outcomes, key=lambda o: o.number)
outcome = state.choice(
    "outcome",
    [o.code for o in outcomes],
    label="Outcome",
    format_func=lambda c: f"{catalogue.outcome[c].number}. {catalogue.outcome[c].title}",
)
indicators = [i for i in catalogue.indicators if i.outcome == outcome]
code = state.choice(
    "code",
    [i.code for i in indicators],
    label="Indicator",
    format_func=lambda c: f"{c} {catalogue.indicator[c].title}",
)
ind = catalogue.indicator[code]
st.info(f"**{ind.title}.** {ind.definition} Source: {ind.source}.", icon=":material/info:")

ours, similar = st.tabs(
    ["Areas in the partnership", "Compare with similar authorities"],
    key="view",
    bind="query-params",
)
with ours:
    by_locality = any(level.value == "locality" for level in ind.area_levels) and can(
        me, "view-localities"
    )
    options = [catalogue.authority.code] + (
        [a.code for a in catalogue.localities] if by_locality else []
    )
    # default: the authority and two localities (every area at once is hard to read)
    wanted = [a for a in st.query_params.get_all("area") if a in options] or options[:3]
    areas = st.multiselect(
        "Areas",
        options,
        default=wanted,
        key="trend_areas",
        format_func=lambda a: catalogue.area[a].name,
    )
    if not by_locality:
        st.caption("This indicator is reported for the authority as a whole only.")
    if sorted(areas) != sorted(st.query_params.get_all("area")):
        st.query_params["area"] = areas
    series = data.area_series(me, code, tuple(sorted(areas))) if areas else pl.DataFrame()
    if not areas:
        st.warning("Choose at least one area.")
    elif series.is_empty():
        st.info("No figures have been accepted for this indicator yet.")
    else:
        d, unit = ind.decimals, ind.unit
        fig = charts.lines_figure(
            series.filter(pl.col("area_code").is_in(areas)).sort(
                pl.col("area_code").replace_strict({a: n for n, a in enumerate(areas)}),
                "period",
            ),
            by="area_name",
            emphasise=catalogue.authority.name,
        )
        table = series.select(
            pl.col("area_name").alias("Area"),
            pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Period"),
            *ui.value_columns(d, unit),
            ui.count_column("numerator").alias("Numerator"),
            ui.size_column("denominator").alias("Denominator"),
            ui.note_column(ind.suppression_threshold).alias("Note"),
        )
        ui.chart_with_table(
            ui.base_layout(fig, title=f"{ind.title}", y_title=charts.y_title(unit), height=460),
            table,
            key="trends",
            file_name=ui.file_name(code, "areas", level=data.disclosure_level(me)),
            download_table=functools.partial(report.figures_download, series, catalogue, code),
            summary=report.breakdown_summary(
                series.select(pl.col("area_name").alias("category"), "period", "value"), None, ind
            ),
            note="Small localities move more from period to period by chance: see the intervals "
            "in the table. "
            + ui.suppression_caption(ind.suppression_threshold, concealed=data.conceals(me)),
        )

with similar:
    compared = data.similar_authorities(me, code)
    if ind.no_published_source:
        st.info(
            f"{ind.no_published_source.label.capitalize()}: "
            f"{ind.no_published_source.reason.rstrip('.')}. There is nothing to compare with "
            "other authorities."
        )
    elif compared.is_empty():
        st.info(
            "No published figures for England or the statistical neighbours have been "
            "imported for this indicator yet (outcomes import-published)."
        )
    else:
        d, unit = ind.decimals, ind.unit
        summary = report.similar_summary(compared, ind.title, d, unit)
        names = (
            compared.filter(pl.col("role") == "neighbour")
            .sort("rank")["area_name"]
            .unique(maintain_order=True)
        ).to_list()
        highlight = st.selectbox(
            "Highlight a neighbour",
            names,
            index=None,
            placeholder="None: every neighbour in grey",
            key="highlight_neighbour",
        )
        title = f"{ind.title}: {catalogue.authority.name}, England and similar authorities"
        ui.chart_with_table(
            ui.base_layout(
                charts.similar_figure(compared, title=title, unit=unit, highlight=highlight),
                title=title,
                y_title=charts.y_title(unit),
                height=460,
            ),
            compared.select(
                pl.col("area_name").alias("Area"),
                pl.col("period").map_elements(period_label, return_dtype=pl.String).alias("Period"),
                ui.figure_column("value", d, unit).alias("Value"),
            ),
            key="similar",
            file_name=ui.file_name(code, "similar-authorities", level=data.disclosure_level(me)),
            download_table=lambda: report.labelled_download(
                compared.select("period", "area_name", "role", "rank", "value"), catalogue, code
            ),
            summary=summary,
            note=f"{catalogue.authority.name}'s own figures (blue), beside the published "
            f"figures for England (dotted) and {catalogue.authority.name}'s statistical "
            "neighbours (grey; the authorities most like it in DfE's model), and the "
            f"neighbours' {catalogue.settings.neighbour_average} (dashed).",
        )
st.page_link(
    "views/indicator.py",
    label="More about this indicator",
    query_params={"code": code},
    icon=":material/arrow_forward:",
)

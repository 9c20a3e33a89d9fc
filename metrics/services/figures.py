"""Figures, as services: every figure a page, a download or an export shows, asked as an
actor. Each function checks that the actor may read and withholds small numbers (and what
derives from them) from anyone without ``view-unsuppressed``: the one suppression step.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl

from metrics.core.access import Actor, can, require
from metrics.core.catalogue import Catalogue
from metrics.reports import board as board_rules
from metrics.reports import figures as report_figures
from metrics.reports.indicator import Trend, build_trend, with_our_figures
from metrics.reports.overview import Overview, build_overview
from metrics.services.guard import audited, conceals, disclosed
from metrics.store.connection import Store, StoreAsAt
from metrics.store.connection import (
    StoreError as StoreError,  # for the app, which never imports the store
)
from metrics.store.connection import default_db_path as default_db_path
from metrics.store.reads import figures as queries


def catalogue_table(actor: Actor, catalogue: Catalogue) -> pl.DataFrame:
    require(actor, "view-published")
    return report_figures.catalogue_table(catalogue)


@audited
def periods(actor: Actor, store: Store) -> list[str]:
    require(actor, "view-published")
    return queries.periods_available(store)


@audited
def default_period(actor: Actor, store: Store) -> str | None:
    require(actor, "view-published")
    return report_figures.default_period(store)


@audited
def indicator_table(
    actor: Actor, store: Store, catalogue: Catalogue, period: str, *, benchmarks: bool = False
) -> pl.DataFrame:
    """Every indicator's latest figure as at ``period`` (see
    :func:`metrics.report_figures.indicator_table`), with the England and neighbour comparisons
    when ``benchmarks``."""
    hide = conceals(actor)
    table = report_figures.indicator_table(store, catalogue, period, concealed=hide)
    if benchmarks:
        table = report_figures.with_benchmarks(table, store, catalogue, period, concealed=hide)
    return table


def rag_summary(
    actor: Actor, catalogue: Catalogue, table: pl.DataFrame, *, by: str
) -> pl.DataFrame:
    require(actor, "view-published")
    return report_figures.rag_summary(table, catalogue, by=by)


@audited
def returns_status(actor: Actor, store: Store, catalogue: Catalogue, period: str) -> pl.DataFrame:
    require(actor, "view-published")
    return board_rules.returns_status(store, catalogue, period)


@audited
def indicator_series(
    actor: Actor,
    store: Store,
    catalogue: Catalogue,
    code: str,
    *,
    area: str,
    breakdown: str = "total",
) -> pl.DataFrame:
    hide = conceals(actor)
    if area != catalogue.authority.code:
        require(actor, "view-localities")
    return report_figures.indicator_series(
        store, catalogue, code, area=area, breakdown=breakdown, concealed=hide
    )


@audited
def area_values(
    actor: Actor, store: Store, catalogue: Catalogue, code: str, period: str
) -> pl.DataFrame:
    hide = conceals(actor)
    require(actor, "view-localities")
    return report_figures.area_values(store, catalogue, code, period, concealed=hide)


@audited
def area_series(
    actor: Actor, store: Store, catalogue: Catalogue, code: str, areas: list[str]
) -> pl.DataFrame:
    hide = conceals(actor)
    if set(areas) - {catalogue.authority.code}:
        require(actor, "view-localities")
    return report_figures.area_series(store, catalogue, code, areas, concealed=hide)


@audited
def breakdown_values(actor: Actor, store: Store, catalogue: Catalogue, code: str) -> pl.DataFrame:
    return report_figures.breakdown_values(store, catalogue, code, concealed=conceals(actor))


@audited
def indicator_trend(actor: Actor, store: Store, catalogue: Catalogue, code: str) -> Trend:
    """An indicator's trend for the authority with its benchmarks and baseline forecast
    (:class:`metrics.reports.indicator.Trend`), as the actor may see it."""
    require(actor, "view-published")
    return build_trend(store, catalogue, code, concealed=conceals(actor))


@audited
def benchmark_series(
    actor: Actor, store: Store, catalogue: Catalogue, code: str, periods: list[str]
) -> pl.DataFrame:
    """Published England, region and neighbour figures (published already suppressed)."""
    require(actor, "view-published")
    return report_figures.benchmark_series(store, catalogue, code, periods)


@audited
def all_authorities(actor: Actor, store: Store, code: str, period: str | None) -> pl.DataFrame:
    require(actor, "view-published")
    return queries.all_authorities(store, code, period)


@audited
def similar_authorities(
    actor: Actor, store: Store, catalogue: Catalogue, code: str
) -> pl.DataFrame:
    """England, the statistical neighbours and their average, every published year, and our
    own figure for each of those years (as the actor may see it)."""
    require(actor, "view-published")
    similar = queries.similar_authorities(store, catalogue, code)
    if similar.is_empty():
        return similar
    series = report_figures.indicator_series(
        store, catalogue, code, area=catalogue.authority.code, concealed=conceals(actor)
    )
    return with_our_figures(similar, series, catalogue.authority.name)


@audited
def neighbour_list(actor: Actor, store: Store, catalogue: Catalogue) -> list[str]:
    """The home authority's statistical neighbours (old codes), in the model's order."""
    require(actor, "view-published")
    home = catalogue.settings.home_old_la_code
    return queries.neighbour_list(store, home) if home else []


@audited
def commentary_history(actor: Actor, store: Store, catalogue: Catalogue, code: str) -> pl.DataFrame:
    """Commentary on one indicator from every current return, newest first; for a reader who
    may not see small numbers, commentary on a period with a withheld figure is replaced by
    a plain note (:data:`~metrics.core.disclosure.WITHHELD_COMMENTARY`)."""
    require(actor, "view-board-business")
    notes = queries.commentary_history(store, code)
    if notes.is_empty() or not conceals(actor):
        return notes
    hidden = report_figures.withheld_periods(
        report_figures.suppression_marks(store, catalogue, [code])
    )
    marked = report_figures.withhold_commentary(
        notes.with_columns(indicator_code=pl.lit(code)), hidden
    )
    return marked.drop("indicator_code")


@audited
def data_quality(actor: Actor, store: Store) -> dict[str, pl.DataFrame]:
    """Counts of returns and findings by quarter, rule and group (no figures)."""
    require(actor, "view-published")
    return {
        "by_quarter": queries.submissions_by_quarter(store),
        "by_rule": queries.findings_by_rule(store),
        "by_group": queries.findings_by_group(store),
    }


@audited
def export_values(
    actor: Actor, store: Store, catalogue: Catalogue, *, public: bool = False
) -> pl.DataFrame:
    """Every indicator value for download or ``outcomes export``: as stored for those who
    may export it unsuppressed, else (or when ``public``) as published
    (:data:`metrics.core.disclosure.PUBLIC_COLUMNS`: small numbers withheld, marked ``c``
    with a footnote); for the public, the authority as a whole only."""
    hide = conceals(actor) or not can(actor, "export-unsuppressed")
    if public or hide:
        values = report_figures.public_values(store, catalogue)
    else:
        values = report_figures.export_values(store, catalogue, concealed=False)
        disclosed(actor, store, "export", rows=values.height)
    if not can(actor, "view-localities"):  # the public: the authority as a whole only
        values = values.filter(pl.col("area_code") == catalogue.authority.code)
    return values


@audited
def neighbour_averages(
    actor: Actor, store: Store, indicator: str, period: str | None, *, method: str
) -> pl.DataFrame:
    """Each authority's statistical neighbours' average of an indicator (the median or the
    mean of those with a figure), from the published figures."""
    require(actor, "view-published")
    return queries.neighbour_averages(store, indicator, period, method=method)


# --- the exception list --------------------------------------------------------------------


@audited
def overview(
    actor: Actor, store: Store | StoreAsAt, catalogue: Catalogue, period: str, *, on: date
) -> Overview:
    """The board overview for a quarter (:mod:`metrics.reports.overview`), with figures as
    the actor may see them: what the overview page shows and the board pack prints."""
    require(actor, "view-published")
    built = build_overview(store, catalogue, period, concealed=conceals(actor), on=on)
    if can(actor, "view-board-business") or built.exceptions.is_empty():
        return built
    # the public view publishes figures only: no group's commentary on the exception list
    said = [c for c in built.exceptions.columns if c.startswith("commentary")]
    return dataclasses.replace(
        built,
        exceptions=built.exceptions.with_columns(
            pl.lit(None, dtype=built.exceptions.schema[c]).alias(c)
            for c in said
            if c not in ("commentary_given", "commentary_stale")
        ),
    )

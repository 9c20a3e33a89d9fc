"""The figures a reader sees, built from the store's reads: the indicator table (latest value,
interval, target, RAG, change, direction, sparkline), the RAG summaries, the benchmarks
beside it (England, region, neighbours, with the Fingertips comparisons and the recent
trend), one indicator's series by area and breakdown, and the exports. Small numbers and
what derives from them are withheld for a reader who may not see them (one suppression step,
:func:`metrics.core.disclosure.conceal`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.core.catalogue import Catalogue, Indicator, Polarity
from metrics.core.disclosure import (
    WITHHELD_COMMENTARY,
    conceal,
    public_table,
    suppress,
    withheld_cells_of,
)
from metrics.core.formatting import each_value
from metrics.core.periods import (
    Quarter,
    latest_complete_quarter,
    quarter_order,
)
from metrics.core.quotes import WithheldCell
from metrics.core.stats import compare_to_benchmark, recent_trend
from metrics.store.connection import Store, StoreAsAt
from metrics.store.reads import figures as figures_reads

RAG_ORDER = ["red", "amber", "green", "no target", "not judged", "no figures"]

COMPARISONS = {
    "vs_england": ("england", "95"),
    "vs_england_998": ("england", "998"),
    "vs_neighbours": ("neighbours", "95"),
}
"""Comparison columns of :func:`with_benchmarks`: (benchmark column, interval level)."""


def measure_label(indicator) -> str:
    """``Population indicator``, or ``Performance measure: How well did we do it?``."""
    if indicator.rba is None:
        return "Population indicator"
    return f"Performance measure: {indicator.rba.question}"


def catalogue_table(catalogue: Catalogue) -> pl.DataFrame:
    """One row per indicator with the names of its outcome, group and priorities."""
    return pl.DataFrame(
        [
            {
                "code": i.code,
                "title": i.title,
                "outcome_number": catalogue.outcome[i.outcome].number,
                "outcome": catalogue.outcome[i.outcome].title,
                "group": catalogue.group[i.group].name,
                "group_code": i.group,
                "priorities": ", ".join(catalogue.priority[p].title for p in i.priorities),
                "kind": i.kind.value,
                "measure": measure_label(i),
                "unit": i.unit,
                "polarity": i.polarity.value.replace("_", " "),
                "frequency": i.period_type.value.replace("_", " "),
                "definition": i.definition,
                "source": i.source,
                "decimals": i.decimals,
                "multiplier": i.multiplier,
                "breakdowns": ", ".join(i.breakdowns),
                "suppression_threshold": i.suppression_threshold,
                "published_comparison": _published_comparison(i),
            }
            for i in catalogue.indicators
        ]
    ).sort("outcome_number", "code")


def _published_comparison(indicator: Indicator) -> str:
    """Where England's and other authorities' figures come from, or why there are none."""
    if indicator.no_published_source:
        gap = indicator.no_published_source
        return f"{gap.label}: {gap.reason}"
    source = indicator.published
    if source.fingertips_id is not None:
        what = f"OHID Fingertips indicator {source.fingertips_id}"
    elif source.table is not None:
        what = f"{source.table.publisher} ({source.file}, column {source.column})"
    else:
        what = f"DfE open data ({source.file}, column {source.column})"
    name = f", {source.name}" if source.name else ""
    return what + name + (" (a made-up file in the demo)" if source.synthetic_in_demo else "")


def export_values(store: Store, catalogue: Catalogue, *, concealed: bool) -> pl.DataFrame:
    """Every indicator value with the indicator's title and unit, for CSV/Parquet export."""
    values = _values(store, catalogue, "true", [], concealed=concealed).drop("submission_id")
    names = catalogue_table(catalogue).select(
        pl.col("code").alias("indicator_code"),
        pl.col("title").alias("indicator_title"),
        "unit",
        "polarity",
    )
    areas = pl.DataFrame(
        {"area_code": list(catalogue.area), "area_name": [a.name for a in catalogue.areas]}
    )
    return (
        values.join(names, on="indicator_code", how="left")
        .join(areas, on="area_code", how="left")
        .drop("period_order")
    )


def public_values(store: Store, catalogue: Catalogue) -> pl.DataFrame:
    """Every indicator value as published: numbers rounded as shown, small numbers withheld
    and marked ``c`` with a footnote (:func:`metrics.core.disclosure.public_table`)."""
    values = _values(store, catalogue, "true", [], concealed=False)
    marks = suppression_marks(store, catalogue, values["indicator_code"].unique().to_list())
    return public_table(values, catalogue, marks=marks)


def withheld_periods(values: pl.DataFrame) -> set[tuple[str, str]]:
    """(indicator, period) pairs of concealed ``values`` (or of :func:`suppression_marks`)
    with a withheld figure: commentary on them is withheld from the same reader."""
    withheld = pl.col("suppression").is_not_null()
    if "withheld_in_period" in values.columns:  # a figure of another area or breakdown
        withheld = withheld | pl.col("withheld_in_period").fill_null(False)
    hidden = values.filter(withheld)
    return set(hidden.select("indicator_code", "period").unique().iter_rows())


def withhold_commentary(
    frame: pl.DataFrame,
    hidden: set[tuple[str, str]],
    *,
    period: str = "period",
    text: str = "text",
) -> pl.DataFrame:
    """``text`` replaced by :data:`~metrics.core.disclosure.WITHHELD_COMMENTARY` where
    (``indicator_code``, ``period``) is in ``hidden``: what it says may give a withheld
    figure away."""
    pairs = pl.DataFrame(
        list(hidden), schema={"indicator_code": pl.String, period: pl.String}, orient="row"
    ).with_columns(_withheld=pl.lit(True))
    marked = frame.join(pairs, on=["indicator_code", period], how="left")
    return marked.with_columns(
        pl.when(pl.col("_withheld") & pl.col(text).is_not_null())
        .then(pl.lit(WITHHELD_COMMENTARY))
        .otherwise(pl.col(text))
        .alias(text)
    ).drop("_withheld")


def _other_versions(
    store: Store | StoreAsAt, catalogue: Catalogue, codes: list[str], cut_offs: list
) -> list[pl.DataFrame]:
    """The same indicators' figures in every other version a reader may open beside this
    one: the latest, and each past meeting's as at its data cut-off where those differ from
    the latest (``cut_offs``: a return then current has been replaced since). Suppression
    audits them together, so that no correction made after a cut-off can be worked out by
    comparing two versions."""
    base = store.store if isinstance(store, StoreAsAt) else store
    views: list[Store | StoreAsAt] = [base]
    views += [base.as_at(cut_off, catalogue) for cut_off in cut_offs]
    mine = store.cut_off if isinstance(store, StoreAsAt) else None
    return [
        figures_reads.suppression_sets(view, codes)
        for view in views
        if (view.cut_off if isinstance(view, StoreAsAt) else None) != mine
    ]


def suppression_marks(
    store: Store | StoreAsAt, catalogue: Catalogue, codes: list[str]
) -> pl.DataFrame:
    """:func:`~metrics.core.disclosure.suppress` over the whole sets of ``codes``, audited
    with every other version of them a reader may open."""
    if isinstance(store, StoreAsAt):  # which versions differ is judged on the whole record
        sets = figures_reads.suppression_sets(store, codes)
        now = store.clock.now()
        cut_offs = figures_reads.cut_offs_with_figures_replaced_since(store.store, now)
    else:
        sets = figures_reads.suppression_sets(store, codes, now=store.clock.now())
        cut_offs = sets["replaced_cut_offs"].head(1).explode().drop_nulls().to_list()
        sets = sets.drop("replaced_cut_offs")
    others = _other_versions(store, catalogue, codes, cut_offs)
    return suppress(sets, catalogue, other_versions=others)


def withheld_cells(
    store: Store | StoreAsAt, catalogue: Catalogue, codes: list[str]
) -> dict[str, list[WithheldCell]]:
    """By indicator, every stored figure of ``codes``, in any period, that readers without
    ``view-unsuppressed`` see withheld (:func:`suppression_marks`): what text shown to them
    (an item the board makes public) must not give back (:func:`metrics.core.quotes.giveaways`)."""
    return withheld_cells_of(suppression_marks(store, catalogue, codes), catalogue)


def _values(
    store: Store,
    catalogue: Catalogue,
    where: str,
    params: list,
    *,
    concealed: bool,
    select: str = "v.*",
    joins: str = "",
    order: str = "v.indicator_code, v.period_order, v.area_code, v.breakdown",
) -> pl.DataFrame:
    """Stored indicator values (every read of them goes through here). With ``concealed``,
    small numbers and what derives from them are removed
    (:func:`metrics.core.disclosure.conceal`), judged on the whole sets the rows belong to."""
    frame = figures_reads.indicator_values(
        store, where, params, select=select, joins=joins, order=order
    )
    if not concealed:
        return frame.with_columns(suppression=pl.lit(None, dtype=pl.String))
    codes = frame["indicator_code"].unique().to_list()
    return conceal(frame, suppression_marks(store, catalogue, codes))


def default_period(store: Store, today: date | None = None) -> str | None:
    """The latest complete quarter (ended before today) that has returns."""
    periods = figures_reads.periods_available(store)
    if not periods:
        return None
    cutoff = latest_complete_quarter(today or store.clock.today())
    eligible = [p for p in periods if Quarter.parse(p) <= cutoff]
    return eligible[-1] if eligible else periods[-1]


def _direction(change: pl.Expr, polarity: pl.Expr) -> pl.Expr:
    return (
        pl.when(change.is_null())
        .then(pl.lit("no earlier figure"))
        .when(polarity == Polarity.NO_JUDGEMENT.value)
        .then(
            pl.when(change > 0)
            .then(pl.lit("increased"))
            .when(change < 0)
            .then(pl.lit("decreased"))
            .otherwise(pl.lit("no change"))
        )
        .when(change == 0)
        .then(pl.lit("no change"))
        .when((change > 0) == (polarity == Polarity.HIGH_IS_GOOD.value))
        .then(pl.lit("improving"))
        .otherwise(pl.lit("worsening"))
    )


def values_as_at(
    store: Store,
    catalogue: Catalogue,
    quarter: str,
    *,
    area: str | None = None,
    breakdown: str = "total",
    concealed: bool,
) -> pl.DataFrame:
    """Every indicator value (for one area and breakdown) that had been reported by the end
    of ``quarter``: annual indicators carry the year most recently reported."""
    area = area or catalogue.authority.code
    order = quarter_order(quarter)
    frame = _values(
        store,
        catalogue,
        "v.area_code = ? AND v.breakdown = ?",
        [area, breakdown],
        concealed=concealed,
        select="v.*, s.period AS return_period, s.submitted_at, s.version",
        joins="LEFT JOIN submissions s ON s.id = v.submission_id",
    )
    if frame.is_empty():
        return frame
    frame = frame.with_columns(
        return_order=each_value(frame, "return_period", quarter_order, pl.Int32)
    )
    return frame.filter(pl.col("return_order") <= order)


def indicator_table(
    store: Store,
    catalogue: Catalogue,
    quarter: str,
    *,
    concealed: bool,
    history: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per indicator: its latest authority value as at ``quarter`` with interval,
    target, RAG, changes, direction, a sparkline of recent values and the last return.
    ``history`` is :func:`values_as_at` for the same quarter and reader, if already read."""
    if history is None:
        history = values_as_at(store, catalogue, quarter, concealed=concealed)
    meta = catalogue_table(catalogue).select(
        pl.col("code").alias("indicator_code"),
        "title",
        "outcome_number",
        "outcome",
        "group",
        "group_code",
        "measure",
        "unit",
    )
    info = pl.DataFrame(
        [
            {
                "indicator_code": i.code,
                "polarity": i.polarity.value,
                "decimals": i.decimals,
                "outcome_code": i.outcome,
                "priority_codes": i.priorities,
                "benchmark_note": i.no_published_source.label if i.no_published_source else "",
            }
            for i in catalogue.indicators
        ]
    )
    if history.is_empty():
        return meta.join(info, on="indicator_code").with_columns(
            rag=pl.lit("no figures"), direction=pl.lit("no earlier figure")
        )
    ordered = history.sort("period_order")
    spark = ordered.group_by("indicator_code").agg(
        pl.col("value").tail(8).alias("recent"),
    )
    latest = ordered.group_by("indicator_code").agg(pl.all().last())
    table = (
        meta.join(info, on="indicator_code")
        .join(latest, on="indicator_code", how="left")
        .join(spark, on="indicator_code", how="left")
        .with_columns(
            direction=_direction(pl.col("change_previous"), pl.col("polarity")),
            rag=pl.col("rag").fill_null("no figures"),
        )
    )
    return table.sort("outcome_number", "indicator_code")


def rag_summary(table: pl.DataFrame, catalogue: Catalogue, *, by: str) -> pl.DataFrame:
    """Counts of RAG and direction per outcome (``by="outcome"``) or plan priority."""
    if by == "outcome":
        keyed = table.with_columns(heading=pl.col("outcome"), order=pl.col("outcome_number"))
    elif by == "priority":
        titles = {p.code: (n, p.title) for n, p in enumerate(catalogue.priorities)}
        keyed = table.explode("priority_codes").with_columns(
            heading=pl.col("priority_codes").replace_strict(
                {k: v[1] for k, v in titles.items()}, default=None
            ),
            order=pl.col("priority_codes").replace_strict(
                {k: v[0] for k, v in titles.items()}, default=None
            ),
        )
    else:
        raise ValueError(f"by must be 'outcome' or 'priority', not {by!r}")
    counts = keyed.group_by("order", "heading").agg(
        indicators=pl.len(),
        green=(pl.col("rag") == "green").sum(),
        amber=(pl.col("rag") == "amber").sum(),
        red=(pl.col("rag") == "red").sum(),
        no_target=pl.col("rag").is_in(["no target", "not judged", "no figures"]).sum(),
        improving=(pl.col("direction") == "improving").sum(),
        worsening=(pl.col("direction") == "worsening").sum(),
    )
    return counts.sort("order").drop("order")


# --- one indicator ------------------------------------------------------------------------


def indicator_series(
    store: Store,
    catalogue: Catalogue,
    code: str,
    *,
    area: str,
    breakdown: str = "total",
    concealed: bool,
) -> pl.DataFrame:
    """Every period's value for one indicator, area and breakdown, oldest first."""
    return _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.area_code = ? AND v.breakdown = ?",
        [code, area, breakdown],
        concealed=concealed,
    )


def area_values(
    store: Store, catalogue: Catalogue, code: str, period: str, *, concealed: bool
) -> pl.DataFrame:
    """Each area's total for one indicator and period, with names and levels."""
    frame = _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.period = ? AND v.breakdown = 'total'",
        [code, period],
        concealed=concealed,
    )
    return frame.join(_areas(catalogue), on="area_code", how="left")


def _areas(catalogue: Catalogue) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "area_code": [a.code for a in catalogue.areas],
            "area_name": [a.name for a in catalogue.areas],
            "level": [a.level.value for a in catalogue.areas],
        }
    )


def breakdown_values(
    store: Store, catalogue: Catalogue, code: str, *, concealed: bool
) -> pl.DataFrame:
    """The authority's values by breakdown category for every period."""
    frame = _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.area_code = ? AND v.breakdown <> 'total'",
        [code, catalogue.authority.code],
        concealed=concealed,
        order="v.period_order, v.breakdown",
    )
    labels = {f"{b.code}:{c.code}": c.label for b in catalogue.breakdowns for c in b.categories}
    return frame.with_columns(
        dimension=pl.col("breakdown").str.split(":").list.first(),
        category=pl.col("breakdown").replace_strict(labels, default=pl.col("breakdown")),
    )


def area_series(
    store: Store, catalogue: Catalogue, code: str, areas: list[str], *, concealed: bool
) -> pl.DataFrame:
    """Totals for several areas over time (for comparing localities)."""
    frame = _values(
        store,
        catalogue,
        "v.indicator_code = ? AND v.breakdown = 'total' AND list_contains(?, v.area_code)",
        [code, areas],
        concealed=concealed,
        order="v.period_order, v.area_code",
    )
    return frame.join(_areas(catalogue), on="area_code", how="left")


def benchmarks(store: Store, catalogue: Catalogue, periods_shown: dict[str, str]) -> pl.DataFrame:
    """Per indicator in ``periods_shown`` (indicator code -> the local period on screen)
    with published figures: England's, the home region's and the statistical neighbours'
    average (median or mean, as the settings say) for the published year that period
    falls in, or the latest published before it (``benchmark_matched`` false)."""
    return figures_reads.benchmark_rows(store, catalogue, sorted(periods_shown.items()))


def benchmark_series(
    store: Store, catalogue: Catalogue, code: str, local_periods: list[str]
) -> pl.DataFrame:
    """The benchmarks to draw against each local period of one indicator's trend."""
    return figures_reads.benchmark_rows(store, catalogue, [(code, p) for p in local_periods])


def with_benchmarks(
    table: pl.DataFrame,
    store: Store,
    catalogue: Catalogue,
    quarter: str,
    *,
    concealed: bool,
    history: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The indicator table with England, region and neighbour columns, the Fingertips
    comparisons with England (95% and 99.8% intervals) and with the neighbours' average
    (95%), and the recent trend marker. ``history`` is :func:`values_as_at` for the same
    quarter and reader, if already read."""

    if "period" not in table.columns:  # no figures at all yet: nothing to compare
        return table
    shown = {
        code: period
        for code, period in table.select("indicator_code", "period").iter_rows()
        if period is not None
    }
    table = table.join(
        benchmarks(store, catalogue, shown).drop("period"), on="indicator_code", how="left"
    )
    if history is None:
        history = values_as_at(store, catalogue, quarter, concealed=concealed)
    by_indicator = (
        {
            key[0]: part
            for key, part in history.sort("period_order")
            .partition_by("indicator_code", as_dict=True)
            .items()
        }
        if history.height
        else {}
    )
    empty = pl.DataFrame(
        schema={
            c: pl.Float64 for c in ("value", "lower_95", "upper_95", "numerator", "denominator")
        }
    )
    trends, versus = [], []
    for row in table.iter_rows(named=True):
        ind = catalogue.indicator[row["indicator_code"]]
        points = by_indicator.get(ind.code, empty)
        counts = ind.kind.value == "proportion"
        trends.append(
            recent_trend(
                points["value"].to_list(),
                points["lower_95"].to_list(),
                points["upper_95"].to_list(),
                polarity=ind.polarity.value,
                numerators=points["numerator"].to_list() if counts else None,
                denominators=points["denominator"].to_list() if counts else None,
            )
        )
        versus.append(
            tuple(
                compare_to_benchmark(
                    row.get("value"),
                    row.get(f"lower_{level}"),
                    row.get(f"upper_{level}"),
                    row.get(benchmark),
                    polarity=ind.polarity.value,
                )
                for benchmark, level in COMPARISONS.values()
            )
        )
    return table.with_columns(
        pl.Series("trend", trends, dtype=pl.String),
        *(
            pl.Series(name, [v[i] for v in versus], dtype=pl.String)
            for i, name in enumerate(COMPARISONS)
        ),
    )

"""Accepted observations to indicator values: pure Polars functions, no I/O.

For every indicator x period x area x breakdown: the value, its 95% and 99.8% confidence
intervals, the authority total derived from localities where the indicator is additive
and the authority row was not given, RAG against the year's target, change since the
previous period and since the same period a year before, and a small-number flag.
"""

from __future__ import annotations

import polars as pl

from metrics.core import stats
from metrics.core.catalogue import Catalogue, Kind, Polarity
from metrics.core.disclosure import small_count, withheld_figures
from metrics.core.formatting import round_half_up
from metrics.core.periods import PeriodType, previous_period, sort_key, target_year
from metrics.core.quotes import WithheldCell

VALUE_COLUMNS = [
    "indicator_code",
    "period",
    "area_code",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "sd",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "target",
    "amber_tolerance",
    "rag",
    "previous_value",
    "change_previous",
    "year_ago_value",
    "change_year",
    "suppressed",
    "derived",
    "period_order",
]


def indicator_frame(catalogue: Catalogue) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "indicator_code": i.code,
                "kind": i.kind.value,
                "multiplier": float(i.multiplier),
                "polarity": i.polarity.value,
                "period_type": i.period_type.value,
                "additive": i.additive,
                "decimals": i.decimals,
                "suppression_threshold": i.suppression_threshold,
            }
            for i in catalogue.indicators
        ]
    )


def target_frame(catalogue: Catalogue) -> pl.DataFrame:
    rows = [
        {
            "indicator_code": i.code,
            "target_year": year,
            "target": t.value,
            "amber_tolerance": t.amber_tolerance,
        }
        for i in catalogue.indicators
        for year, t in i.targets.items()
    ]
    schema = {
        "indicator_code": pl.String,
        "target_year": pl.String,
        "target": pl.Float64,
        "amber_tolerance": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def derive_authority_totals(obs: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Add an authority ``total`` row, summed from localities, where the return gave none
    and the indicator is additive. Derived rows have ``derived`` true."""
    localities = [a.code for a in catalogue.localities]
    authority = catalogue.authority.code
    additive = [i.code for i in catalogue.indicators if i.additive]
    sums = (
        obs.filter(
            pl.col("area_code").is_in(localities)
            & (pl.col("breakdown") == "total")
            & pl.col("indicator_code").is_in(additive)
        )
        .group_by("indicator_code", "period")
        .agg(
            pl.col("numerator").sum(),
            pl.when(pl.col("denominator").is_not_null().any())
            .then(pl.col("denominator").sum())
            .alias("denominator"),
            pl.col("submission_id").max(),
        )
        .with_columns(
            area_code=pl.lit(authority),
            breakdown=pl.lit("total"),
            value=pl.lit(None, dtype=pl.Float64),
            sd=pl.lit(None, dtype=pl.Float64),
            derived=pl.lit(True),
        )
    )
    given = obs.filter((pl.col("area_code") == authority) & (pl.col("breakdown") == "total"))
    sums = sums.join(
        given.select("indicator_code", "period"), on=["indicator_code", "period"], how="anti"
    )
    base = obs.with_columns(derived=pl.lit(False))
    return pl.concat([base, sums.select(base.columns)], how="vertical_relaxed")


def _period_lookups(frame: pl.DataFrame) -> pl.DataFrame:
    pairs = frame.select("period", "period_type").unique()
    prev, year_ago, order = [], [], []
    for period, ptype in pairs.iter_rows():
        kind = PeriodType(ptype)
        prev.append(previous_period(period, kind))
        year_ago.append(
            previous_period(period, kind, steps=4 if kind is PeriodType.FINANCIAL_QUARTER else 1)
        )
        y, q = sort_key(period)
        order.append(y * 10 + q)
    return pairs.with_columns(
        pl.Series("previous_period", prev, dtype=pl.String),
        pl.Series("year_ago_period", year_ago, dtype=pl.String),
        pl.Series("period_order", order, dtype=pl.Int32),
        pl.Series(
            "target_year",
            [target_year(p, PeriodType(t)) for p, t in pairs.iter_rows()],
            dtype=pl.String,
        ),
    )


def rag_expr() -> pl.Expr:
    """RAG of the rounded value against the target, turned by polarity."""
    value = pl.col("rounded_value")
    target, tol = pl.col("target"), pl.col("amber_tolerance")
    high = pl.col("polarity") == Polarity.HIGH_IS_GOOD.value
    low = pl.col("polarity") == Polarity.LOW_IS_GOOD.value
    return (
        pl.when(pl.col("polarity") == Polarity.NO_JUDGEMENT.value)
        .then(pl.lit("not judged"))
        .when(target.is_null() | value.is_null())
        .then(pl.lit("no target"))
        .when(high & (value >= target))
        .then(pl.lit("green"))
        .when(high & (value >= target - tol))
        .then(pl.lit("amber"))
        .when(low & (value <= target))
        .then(pl.lit("green"))
        .when(low & (value <= target + tol))
        .then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )


def compute_indicator_values(observations: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Indicator values from current accepted observations.

    ``observations`` has indicator_code, period, area_code, breakdown, numerator,
    denominator, value (as submitted; used for means), sd and submission_id.
    """
    if observations.is_empty():
        return pl.DataFrame(schema=_empty_schema())
    obs = observations.select(
        "indicator_code",
        "period",
        "area_code",
        "breakdown",
        pl.col("numerator").cast(pl.Float64),
        pl.col("denominator").cast(pl.Float64),
        pl.col("value").cast(pl.Float64),
        pl.col("sd").cast(pl.Float64),
        pl.col("submission_id").cast(pl.Int64),
    )
    frame = derive_authority_totals(obs, catalogue).join(
        indicator_frame(catalogue), on="indicator_code", how="inner"
    )
    kind = pl.col("kind")
    frame = frame.with_columns(
        value=pl.when(
            kind.is_in([Kind.PROPORTION.value, Kind.RATE.value]) & (pl.col("denominator") > 0)
        )
        .then(pl.col("numerator") / pl.col("denominator") * pl.col("multiplier"))
        .when(kind == Kind.COUNT.value)
        .then(pl.col("numerator"))
        .when(kind == Kind.MEAN.value)
        .then(pl.col("value"))
    )
    frame = stats.add_intervals(frame)
    frame = frame.join(_period_lookups(frame), on=["period", "period_type"], how="left")
    frame = frame.join(target_frame(catalogue), on=["indicator_code", "target_year"], how="left")
    frame = frame.with_columns(rounded_value=round_half_up(pl.col("value"), pl.col("decimals")))
    frame = frame.with_columns(rag=rag_expr())

    keys = ["indicator_code", "area_code", "breakdown"]
    earlier = frame.select(*keys, "period", pl.col("value").alias("_earlier"))
    frame = frame.join(
        earlier.rename({"period": "previous_period", "_earlier": "previous_value"}),
        on=[*keys, "previous_period"],
        how="left",
    ).join(
        earlier.rename({"period": "year_ago_period", "_earlier": "year_ago_value"}),
        on=[*keys, "year_ago_period"],
        how="left",
    )
    threshold = pl.col("suppression_threshold")
    frame = frame.with_columns(
        change_previous=pl.col("value") - pl.col("previous_value"),
        change_year=pl.col("value") - pl.col("year_ago_value"),
        suppressed=small_count(kind, threshold),
    )
    return frame.select([*VALUE_COLUMNS, "submission_id"]).sort(
        "indicator_code", "period_order", "area_code", "breakdown"
    )


def withheld_by_indicator(
    observations: pl.DataFrame, catalogue: Catalogue
) -> dict[str, list[WithheldCell]]:
    """By indicator, the figures of ``observations`` (a return's, not yet stored) that
    readers without ``view-unsuppressed`` will see withheld once they are: computed as they
    will be stored (:func:`compute_indicator_values`), then withheld as they will be shown
    (:func:`metrics.core.disclosure.withheld_figures`). For checking what a person wrote
    beside them (:func:`metrics.core.quotes.giveaways`)."""
    missing = [c for c in ("sd", "value") if c not in observations.columns]
    observations = observations.with_columns(
        *(pl.lit(None, dtype=pl.Float64).alias(c) for c in missing), submission_id=pl.lit(0)
    )
    return withheld_figures(compute_indicator_values(observations, catalogue), catalogue)


def _empty_schema() -> dict[str, pl.DataType]:
    floats = {c: pl.Float64 for c in VALUE_COLUMNS}
    for c in ("indicator_code", "period", "area_code", "breakdown", "rag"):
        floats[c] = pl.String
    floats["suppressed"] = pl.Boolean
    floats["derived"] = pl.Boolean
    floats["period_order"] = pl.Int32
    floats["submission_id"] = pl.Int64
    return floats


def gaps(values: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """The gap between a breakdown's two named groups (group of interest minus comparison)
    for each indicator and period, e.g. disadvantaged minus other pupils."""
    rows = []
    for b in catalogue.breakdowns:
        if not b.gap:
            continue
        first, second = (f"{b.code}:{c}" for c in b.gap)
        a = values.filter(pl.col("breakdown") == first).select(
            "indicator_code", "period", "area_code", pl.col("value").alias("first_value")
        )
        c = values.filter(pl.col("breakdown") == second).select(
            "indicator_code", "period", "area_code", pl.col("value").alias("second_value")
        )
        joined = a.join(c, on=["indicator_code", "period", "area_code"], how="inner")
        rows.append(
            joined.with_columns(
                dimension=pl.lit(b.code),
                first=pl.lit(first),
                second=pl.lit(second),
                gap=pl.col("first_value") - pl.col("second_value"),
            )
        )
    if not rows:
        return pl.DataFrame()
    return pl.concat(rows)

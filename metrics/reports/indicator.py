"""The statistics of the indicator page: localities against the authority (funnel plot),
and the authority against every authority (spine chart).

Every function takes figures as the reader may see them: a suppressed figure arrives as
None and is neither compared, ranked nor banded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from metrics.core.catalogue import Catalogue, Indicator
from metrics.core.disclosure import published_layout
from metrics.core.formatting import change, figure, round_half_up
from metrics.core.periods import period_label, previous_period, sort_key, target_year
from metrics.core.stats import (
    baseline_forecast,
    compare_to_benchmark,
    compare_to_control_limits,
    funnel_limits,
    quartile_band,
    quartile_cut_points,
    ranks,
)
from metrics.reports import figures as report_figures

FUNNEL_LEVELS = (0.95, 0.998)


def compared(ind: Indicator) -> bool:
    """Whether localities are compared with the authority (proportions and rates)."""
    return ind.kind.value in ("proportion", "rate")


def locality_verdicts(local: pl.DataFrame, centre: float, ind: Indicator) -> list[str | None]:
    """Each locality against the authority's figure at 99.8% control limits (Fingertips'
    comparison for a funnel plot): better, worse, similar, higher or lower; None where the
    locality's figure is missing or suppressed."""
    return [
        compare_to_control_limits(
            row["value"],
            row["denominator"],
            centre,
            polarity=ind.polarity.value,
            kind=ind.kind.value,
            multiplier=ind.multiplier,
            confidence=0.998,
        )
        for row in local.iter_rows(named=True)
    ]


@dataclass(frozen=True)
class Funnel:
    sizes: list[float]
    """Denominators along the x axis, from half the smallest to 1.3 times the largest."""
    limits: dict[float, tuple[list[float], list[float]]]
    """Lower and upper control limits at each size, by confidence level."""


def funnel(centre: float, denominators: list[float | None], ind: Indicator) -> Funnel:
    """Control limits around the authority's figure for a funnel plot of the localities."""
    present = [d for d in denominators if d is not None]
    sizes = np.linspace(max(1.0, min(present) * 0.5), max(present) * 1.3, 80)
    limits = {}
    for level in FUNNEL_LEVELS:
        lo, hi = funnel_limits(
            centre, sizes, kind=ind.kind.value, multiplier=ind.multiplier, confidence=level
        )
        limits[level] = (lo.tolist(), hi.tolist())
    return Funnel(sizes=sizes.tolist(), limits=limits)


@dataclass(frozen=True)
class Spine:
    """The authority's figure among every authority's published figure (LAIT's spine)."""

    worst: float
    best: float
    lower_band: float
    """The 25th percentile on the worse side (the 75th where low is good)."""
    upper_band: float
    rank: int | None
    count: int
    band: str | None
    verdict: str | None
    """Against England at 95%: better, worse, similar (higher, lower); None unjudged."""
    judged: bool
    low_is_good: bool


def spine(
    others: list[float],
    value: float | None,
    lower: float | None,
    upper: float | None,
    england: float | None,
    *,
    polarity: str,
) -> Spine:
    """Rank, quartile band and the comparison with England of ``value`` among ``others``
    (every authority's published figures); a suppressed ``value`` (None) is none of them."""
    everyone = [*others, value]
    rank = ranks(everyone, polarity=polarity)[-1]
    cuts = quartile_cut_points(everyone)
    low_good = polarity == "low_is_good"
    worst, best = (max(others), min(others)) if low_good else (min(others), max(others))
    q25, q75 = (cuts[2], cuts[0]) if low_good else (cuts[0], cuts[2])
    return Spine(
        worst=worst,
        best=best,
        lower_band=q25,
        upper_band=q75,
        rank=rank,
        count=len(everyone) if value is not None else len(others),
        band=quartile_band(value, cuts, polarity=polarity),
        verdict=compare_to_benchmark(value, lower, upper, england, polarity=polarity),
        judged=polarity != "no_judgement",
        low_is_good=low_good,
    )


def named_neighbours(
    others: pl.DataFrame, neighbours: list[str], value: float | None, *, polarity: str
) -> pl.DataFrame:
    """Each of the authority's neighbours (old codes, in the model's order) with its value in
    ``others`` (every authority's published figures: old_la_code, area_name, value), and its
    rank and quartile band among all authorities and the authority itself (as the spine chart
    ranks): neighbour, authority, value, rank, band. The neighbours' average is the
    benchmarks' (:func:`metrics.report_figures.benchmark_series`), not worked out again here."""
    everyone = [*others["value"].to_list(), value]
    all_ranks = ranks(everyone, polarity=polarity)
    cuts = quartile_cut_points(everyone)
    found = {r["old_la_code"]: (n, r) for n, r in enumerate(others.iter_rows(named=True))}
    rows = []
    for number, code in enumerate(neighbours, start=1):
        position, row = found.get(code, (None, None))
        shown = row["value"] if row else None
        rows.append(
            {
                "neighbour": number,
                "authority": row["area_name"] if row else f"authority {code}",
                "value": shown,
                "rank": all_ranks[position] if position is not None else None,
                "band": quartile_band(shown, cuts, polarity=polarity) if row else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "neighbour": pl.Int64,
            "authority": pl.String,
            "value": pl.Float64,
            "rank": pl.Int64,
            "band": pl.String,
        },
    )


def turn_the_curve(series: pl.DataFrame, ind: Indicator, *, ahead: int = 4) -> pl.DataFrame:
    """The baseline forecast ("turn the curve"): where the figure is heading if nothing
    changes, for the next ``ahead`` periods after the last in ``series`` (the authority's
    figures, oldest first; withheld ones are left out of the fit), with its 95% prediction
    interval and the target for each period's year. Empty with fewer than five figures."""
    columns = {
        "period": pl.String,
        "forecast": pl.Float64,
        "lower": pl.Float64,
        "upper": pl.Float64,
        "target": pl.Float64,
    }
    if series.is_empty():
        return pl.DataFrame(schema=columns)
    found = baseline_forecast(series["value"].to_list(), ahead=ahead)
    if found is None:
        return pl.DataFrame(schema=columns)
    last = series["period"][-1]
    periods = [previous_period(last, ind.period_type, steps=-step) for step in range(1, ahead + 1)]
    targets = [ind.targets.get(target_year(p, ind.period_type)) for p in periods]
    return pl.DataFrame(
        {
            "period": periods,
            "forecast": found.value,
            "lower": found.lower,
            "upper": found.upper,
            "target": [t.value if t else None for t in targets],
        },
        schema=columns,
    )


def forecast_summary(title: str, curve: pl.DataFrame, decimals: int, unit: str) -> str:
    """One sentence on the baseline forecast: where the figure is heading by the last period
    forecast, with its 95% prediction interval and the target for that period."""
    if curve.is_empty():
        return f"{title}: too few figures to forecast."
    ahead = curve.row(-1, named=True)
    text = (
        f"If nothing changes, {title[:1].lower() + title[1:]} will be about "
        f"{figure(ahead['forecast'], decimals, unit)} by {period_label(ahead['period'])} "
        f"(95% prediction interval {figure(ahead['lower'], decimals, unit)} to "
        f"{figure(ahead['upper'], decimals, unit)})"
    )
    if ahead["target"] is None:
        return text + "; no target is set for then."
    return text + f"; the target then is {figure(ahead['target'], decimals, unit)}."


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


@dataclass(frozen=True)
class Trend:
    """An indicator's figures for the authority over time, as a reader sees them: what the
    indicator page's trend chart and a board pack's section draw, from the same object."""

    code: str
    title: str
    authority: str
    unit: str
    decimals: int
    neighbour_average: str
    series: pl.DataFrame
    """period, value, lower_95, upper_95, target, numerator, denominator, rag, suppression;
    oldest first."""
    published: pl.DataFrame
    """England, region and neighbour figures for each period (the published year each
    falls in, or the latest): period, england, neighbours, benchmark_period, ..."""
    curve: pl.DataFrame
    """The baseline forecast (turn the curve): period, forecast, lower, upper, target."""
    summary: str
    """One sentence that says what the chart shows (its alternative text)."""


def build_trend(source, catalogue: Catalogue, code: str, *, concealed: bool) -> Trend:
    """The trend of indicator ``code`` read from ``source`` (the store, or the store as at
    a meeting's cut-off) with small numbers withheld when ``concealed``."""
    ind = catalogue.indicator[code]
    series = report_figures.indicator_series(
        source, catalogue, code, area=catalogue.authority.code, concealed=concealed
    ).select(
        "period",
        "value",
        "lower_95",
        "upper_95",
        "target",
        "numerator",
        "denominator",
        "rag",
        "suppression",
    )
    published = report_figures.benchmark_series(source, catalogue, code, series["period"].to_list())
    curve = turn_the_curve(series, ind)
    return Trend(
        code=code,
        title=ind.title,
        authority=catalogue.authority.name,
        unit=ind.unit,
        decimals=ind.decimals,
        neighbour_average=catalogue.settings.neighbour_average,
        series=series,
        published=published,
        curve=curve,
        summary=trend_summary(ind.title, series, ind.decimals, ind.unit, curve),
    )


def with_our_figures(similar: pl.DataFrame, series: pl.DataFrame, name: str) -> pl.DataFrame:
    """England and the neighbours (:func:`metrics.store.reads.figures.similar_authorities`)
    with our own figure for each published year beside them (role ``ours``): the year's own
    figure, or for a quarterly indicator the year's latest quarter (said in the name). A
    figure withheld from the reader stays withheld (no value)."""
    if similar.is_empty():
        return similar
    ours = (
        series.select("period", "value")
        .with_columns(year=pl.col("period").str.slice(0, 7))
        .filter(pl.col("year").is_in(similar["period"].unique().to_list()))
        .sort("period")
        .group_by("year", maintain_order=True)
        .last()
    )
    if ours.is_empty():
        return similar
    quarterly = (ours["period"] != ours["year"]).any()
    label = name + (" (each year's latest quarter)" if quarterly else "")
    rows = ours.select(
        pl.col("year").alias("period"),
        pl.lit(label).alias("area_name"),
        "value",
        pl.lit("ours").alias("role"),
        pl.lit(-1).alias("rank"),
    ).cast(dict(similar.schema))
    return pl.concat([similar, rows]).sort("period", "rank")


def similar_summary(frame: pl.DataFrame, title: str, decimals: int, unit: str) -> str:
    """One sentence on the latest published year of
    :func:`metrics.store.reads.figures.similar_authorities`: England, the neighbours'
    average, and the neighbours' range."""
    if frame.is_empty():
        return f"{title}: no published figures for England or the statistical neighbours."
    latest = frame["period"].max()
    year = frame.filter(pl.col("period") == latest)
    england = year.filter(pl.col("role") == "england")["value"].to_list()
    average = year.filter(pl.col("role") == "average")
    neighbours = year.filter(pl.col("role") == "neighbour").drop_nulls("value").sort("value")
    text = f"{title} in {period_label(latest)}:"
    parts = []
    if england:
        parts.append(f"England {figure(england[0], decimals, unit)}")
    if average.height and neighbours.height:
        low, high = neighbours.row(0, named=True), neighbours.row(-1, named=True)
        parts.append(
            f"{average['area_name'][0].lower()} {figure(average['value'][0], decimals, unit)}, "
            f"from {figure(low['value'], decimals, unit)} in {low['area_name']} to "
            f"{figure(high['value'], decimals, unit)} in {high['area_name']}"
        )
    return f"{text} {'; '.join(parts)}." if parts else f"{text} no figures."


def localities_summary(
    local: pl.DataFrame, centre: float | None, ind: Indicator, authority: str
) -> str:
    """One sentence on a localities chart: the best and worst locality shown (highest and
    lowest without a better direction), against the authority's figure."""
    shown = local.drop_nulls("value").sort("value")
    d, unit = ind.decimals, ind.unit
    if shown.is_empty():
        return "Every locality's figure is withheld because the numbers are small."
    low, high = shown.row(0, named=True), shown.row(-1, named=True)
    if ind.polarity.value == "low_is_good":
        ends = f"{low['area_name']} has the best figure ({figure(low['value'], d, unit)}) "
        ends += f"and {high['area_name']} the worst ({figure(high['value'], d, unit)})"
    elif ind.polarity.value == "high_is_good":
        ends = f"{high['area_name']} has the best figure ({figure(high['value'], d, unit)}) "
        ends += f"and {low['area_name']} the worst ({figure(low['value'], d, unit)})"
    else:
        ends = f"{high['area_name']} has the highest figure ({figure(high['value'], d, unit)}) "
        ends += f"and {low['area_name']} the lowest ({figure(low['value'], d, unit)})"
    text = f"Of {local.height} localities, {ends}"
    if centre is not None:
        text += f"; {authority} as a whole is {figure(centre, d, unit)}"
    withheld = local.height - shown.height
    if withheld:
        text += f"; {withheld} locality figure{'s are' if withheld > 1 else ' is'} withheld"
    return text + "."


def funnel_summary(names: list[str], verdicts: list[str | None]) -> str:
    """One sentence on a funnel plot: which localities lie outside the 99.8% limits."""
    outside = [
        f"{name} ({verdict})"
        for name, verdict in zip(names, verdicts, strict=True)
        if verdict not in (None, "similar", "not compared")
    ]
    if not outside:
        return (
            f"All {len(names)} localities lie within the 99.8% limits: none differs from the "
            "authority by more than chance would explain."
        )
    return (
        f"{len(outside)} of {len(names)} localities lie outside the 99.8% limits: "
        + ", ".join(outside)
        + "."
    )


def spine_summary(
    place: Spine,
    value: float | None,
    england: float | None,
    ind: Indicator,
    *,
    name: str,
    year: str,
) -> str:
    """One sentence on a spine chart: our rank and band among all authorities, and
    England's figure."""
    d, unit = ind.decimals, ind.unit
    if value is None:
        text = f"{name}'s figure is withheld because the numbers are small"
    elif place.rank:
        text = (
            f"{name}'s {figure(value, d, unit)} ranks {place.rank} of {place.count} "
            f"authorities (1 is the best; quartile band {place.band})"
        )
    else:
        text = f"{name}'s figure is {figure(value, d, unit)} (not ranked: no better direction)"
    if england is not None:
        text += f"; England's in {year} is {figure(england, d, unit)}"
    return text + "."


def breakdown_summary(rows: pl.DataFrame, gap: tuple[str, str] | None, ind: Indicator) -> str:
    """One sentence on a breakdown chart: each group's figure in the latest period, and the
    gap between the two the catalogue compares (withheld figures said to be withheld).
    ``rows`` has category (its label), period and value."""
    d, unit = ind.decimals, ind.unit
    if rows.is_empty():
        return "No figures for these groups of children."
    latest = max(rows["period"].to_list(), key=sort_key)
    now = {
        r["category"]: r["value"]
        for r in rows.filter(pl.col("period") == latest).iter_rows(named=True)
    }
    parts = [f"{c} {'withheld' if v is None else figure(v, d, unit)}" for c, v in now.items()]
    text = f"In {period_label(latest)}: " + ", ".join(parts)
    if gap and now.get(gap[0]) is not None and now.get(gap[1]) is not None:
        text += f"; the gap ({gap[0]} minus {gap[1]}) is " + change(
            now[gap[0]] - now[gap[1]], d, unit
        )
    return text + "."


FIGURE_COLUMNS = ("numerator", "denominator", "value", "lower_95", "upper_95")


def figures_download(
    frame: pl.DataFrame, catalogue: Catalogue, code: str, *, extra: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Indicator ``code``'s figures as a page shows them (already concealed for the reader),
    as a program reads them: the published layout (numbers as numbers, rounded half up as
    the indicator shows them, the indicator and unit in every row, a withheld figure empty
    and marked ``c`` in ``suppressed`` with the footnote), then the ``extra`` columns
    (target, RAG, England, ...), numbers rounded the same way. A frame without an area or a
    breakdown is the authority's total."""
    decimals = catalogue.indicator[code].decimals
    given = {
        "indicator_code": pl.lit(code),
        "area_code": pl.lit(catalogue.authority.code),
        "breakdown": pl.lit("total"),
        "suppression": pl.lit(None, dtype=pl.String),
        **{c: pl.lit(None, dtype=pl.Float64) for c in FIGURE_COLUMNS},
    }
    keyed = frame.with_columns(e.alias(c) for c, e in given.items() if c not in frame.columns)
    extras = keyed.select(_rounded(keyed, extra, decimals))
    return pl.concat([published_layout(keyed, catalogue), extras], how="horizontal")


def labelled_download(frame: pl.DataFrame, catalogue: Catalogue, code: str) -> pl.DataFrame:
    """Figures beside the partnership's own (published ones, forecasts) as a program reads
    them: indicator ``code`` and its title first, numbers rounded half up as the indicator
    shows them, its unit last."""
    ind = catalogue.indicator[code]
    return frame.select(
        pl.lit(code).alias("indicator_code"),
        pl.lit(ind.title).alias("indicator_title"),
        *_rounded(frame, frame.columns, ind.decimals),
        pl.lit(ind.unit).alias("unit"),
    )


def _rounded(frame: pl.DataFrame, columns, decimals: int) -> list[pl.Expr]:
    """``columns`` of ``frame``, each number rounded half up to ``decimals``."""
    return [
        round_half_up(pl.col(c), decimals).alias(c) if frame.schema[c].is_float() else pl.col(c)
        for c in columns
    ]

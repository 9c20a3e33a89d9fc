"""The statistics of the indicator page: localities against the authority (funnel plot),
and the authority against every authority (spine chart).

Every function takes figures as the reader may see them: a suppressed figure arrives as
None and is neither compared, ranked nor banded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from metrics.catalogue import Indicator
from metrics.periods import previous_period, target_year
from metrics.stats import (
    baseline_forecast,
    compare_to_benchmark,
    compare_to_control_limits,
    funnel_limits,
    quartile_band,
    quartile_cut_points,
    ranks,
)

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

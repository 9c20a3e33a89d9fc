"""Confidence intervals as OHID Fingertips computes them.

Methods (from the PHEindicatormethods R package and the Fingertips technical guidance):

* proportions — Wilson score interval;
* rates and counts — Byar's approximation, or the exact Poisson interval (from the
  chi-squared distribution) where the count is below 10;
* means — Student's t with n - 1 degrees of freedom.

Scalar functions take and return plain floats; ``nan`` stands for "cannot be
calculated". The ``*_exprs`` and :func:`add_intervals` forms work on Polars columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import polars as pl
from scipy import special, stats

EXACT_BELOW = 10
"""Counts below this use the exact Poisson interval rather than Byar's approximation."""

CONFIDENCE_LEVELS = (0.95, 0.998)


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: ``z_value(0.95)`` is 1.959963984540054."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _missing(*values: float | None) -> bool:
    return any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values)


def wilson_interval(
    numerator: float, denominator: float, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson score interval for ``numerator / denominator``, on the 0-1 scale.

    >>> [round(x, 6) for x in wilson_interval(65, 100)]
    [0.552544, 0.736358]
    """
    if _missing(numerator, denominator) or denominator <= 0 or numerator < 0:
        return (math.nan, math.nan)
    lower, upper = _wilson_limits(numerator, denominator, z_value(confidence))
    return (float(lower), float(upper))


def _wilson_limits(numerator, denominator, z: float):
    """The Wilson score limits (0-1 scale) for scalars or NumPy arrays."""
    centre = 2 * numerator + z * z
    spread = z * np.sqrt(z * z + 4 * numerator * (1 - numerator / denominator))
    scale = 2 * (denominator + z * z)
    return (centre - spread) / scale, (centre + spread) / scale


def byars_interval(count: float, *, confidence: float = 0.95) -> tuple[float, float]:
    """Byar's approximation to the Poisson interval for ``count``, on the count scale.

    The lower limit is ``nan`` where the approximation goes below zero (tiny counts at
    high confidence), as in PHEindicatormethods.

    >>> [round(x, 6) for x in byars_interval(65)]
    [50.163188, 82.849139]
    """
    if _missing(count) or count < 0:
        return (math.nan, math.nan)
    z = z_value(confidence)
    if count == 0:
        lower = 0.0
    else:
        base = 1 - 1 / (9 * count) - z / (3 * math.sqrt(count))
        lower = count * base**3 if base >= 0 else math.nan
    upper_count = count + 1
    upper = upper_count * (1 - 1 / (9 * upper_count) + z / (3 * math.sqrt(upper_count))) ** 3
    return (lower, upper)


def exact_poisson_interval(count: float, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact Poisson interval for ``count`` from the chi-squared distribution.

    >>> [round(x, 6) for x in exact_poisson_interval(1)]
    [0.025318, 5.571643]
    """
    if _missing(count) or count < 0:
        return (math.nan, math.nan)
    alpha = 1 - confidence
    lower = float(special.gammaincinv(count, alpha / 2)) if count > 0 else 0.0
    upper = float(special.gammaincinv(count + 1, 1 - alpha / 2))
    return (lower, upper)


def poisson_interval(count: float, *, confidence: float = 0.95) -> tuple[float, float]:
    """Fingertips' choice for counts: exact below 10, Byar's from 10 up."""
    if not _missing(count) and count < EXACT_BELOW:
        return exact_poisson_interval(count, confidence=confidence)
    return byars_interval(count, confidence=confidence)


def rate_interval(
    count: float, denominator: float, *, multiplier: float = 100_000, confidence: float = 0.95
) -> tuple[float, float]:
    """Interval for ``count / denominator * multiplier``."""
    if _missing(count, denominator) or denominator <= 0:
        return (math.nan, math.nan)
    lower, upper = poisson_interval(count, confidence=confidence)
    return (lower / denominator * multiplier, upper / denominator * multiplier)


def mean_interval(
    mean: float, sd: float, n: float, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Student's t interval for a mean of ``n`` values with standard deviation ``sd``."""
    if _missing(mean, sd, n) or n < 2 or sd < 0:
        return (math.nan, math.nan)
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1))
    half = t * sd / math.sqrt(n)
    return (mean - half, mean + half)


# --- vectorised forms ---------------------------------------------------------------


def wilson_exprs(
    numerator: pl.Expr, denominator: pl.Expr, *, confidence: float = 0.95
) -> tuple[pl.Expr, pl.Expr]:
    """Polars expressions for the Wilson limits (0-1 scale); null where undefined."""
    z = z_value(confidence)
    valid = (denominator > 0) & (numerator >= 0)
    centre = 2 * numerator + z * z
    spread = z * (z * z + 4 * numerator * (1 - numerator / denominator)).sqrt()
    scale = 2 * (denominator + z * z)
    lower = pl.when(valid).then((centre - spread) / scale)
    upper = pl.when(valid).then((centre + spread) / scale)
    return lower, upper


def byars_exprs(count: pl.Expr, *, confidence: float = 0.95) -> tuple[pl.Expr, pl.Expr]:
    """Polars expressions for Byar's limits on the count scale; null where undefined."""
    z = z_value(confidence)
    base = 1 - 1 / (9 * count) - z / (3 * count.sqrt())
    lower = (
        pl.when(count == 0)
        .then(pl.lit(0.0))
        .when((count > 0) & (base >= 0))
        .then(count * base.pow(3))
    )
    up = count + 1
    upper = pl.when(count >= 0).then(up * (1 - 1 / (9 * up) + z / (3 * up.sqrt())).pow(3))
    return lower, upper


def _exact_limits(counts: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(counts > 0, special.gammaincinv(np.maximum(counts, 1e-300), alpha / 2), 0)
        upper = special.gammaincinv(counts + 1, 1 - alpha / 2)
    bad = ~np.isfinite(counts) | (counts < 0)
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def poisson_limits(
    counts: np.ndarray, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Fingertips' Poisson limits for an array of counts (exact below 10, else Byar's)."""
    counts = np.asarray(counts, dtype=float)
    frame = pl.DataFrame({"x": counts}, nan_to_null=True)
    lo_expr, hi_expr = byars_exprs(pl.col("x"), confidence=confidence)
    byars = frame.select(lo_expr.alias("lo"), hi_expr.alias("hi"))
    b_lo = byars["lo"].to_numpy().astype(float)
    b_hi = byars["hi"].to_numpy().astype(float)
    e_lo, e_hi = _exact_limits(counts, confidence)
    small = counts < EXACT_BELOW
    return np.where(small, e_lo, b_lo), np.where(small, e_hi, b_hi)


def t_quantiles(n: np.ndarray, *, confidence: float = 0.95) -> np.ndarray:
    """Student's t quantile for ``n - 1`` degrees of freedom; nan where n < 2."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(n >= 2, stats.t.ppf(1 - (1 - confidence) / 2, np.maximum(n - 1, 1)), np.nan)


def _suffix(confidence: float) -> str:
    return {0.95: "95", 0.998: "998"}.get(confidence, f"{confidence * 1000:g}")


def add_intervals(
    frame: pl.DataFrame,
    *,
    kind: str = "kind",
    numerator: str = "numerator",
    denominator: str = "denominator",
    value: str = "value",
    sd: str = "sd",
    multiplier: str = "multiplier",
    levels: tuple[float, ...] = CONFIDENCE_LEVELS,
) -> pl.DataFrame:
    """Add ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998`` to ``frame``.

    Each row is treated by its ``kind`` column: ``proportion`` (Wilson), ``rate`` and
    ``count`` (Poisson: exact below 10, else Byar's), ``mean`` (Student's t from ``sd``
    and ``denominator`` as n). Limits are on the value's own scale (per ``multiplier``).
    """
    num = frame[numerator].cast(pl.Float64).to_numpy()
    den = frame[denominator].cast(pl.Float64).to_numpy()
    val = frame[value].cast(pl.Float64).to_numpy()
    sds = frame[sd].cast(pl.Float64).to_numpy()
    mult = frame[multiplier].cast(pl.Float64).to_numpy()
    kinds = frame[kind].to_numpy()
    columns = {}
    for level in levels:
        w_lo, w_hi = wilson_exprs(pl.col("n"), pl.col("d"), confidence=level)
        wil = pl.DataFrame({"n": num, "d": den}, nan_to_null=True).select(
            w_lo.alias("lo"), w_hi.alias("hi")
        )
        wl = wil["lo"].to_numpy().astype(float)
        wh = wil["hi"].to_numpy().astype(float)
        p_lo, p_hi = poisson_limits(num, confidence=level)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate_scale = np.where(kinds == "count", 1.0, mult / den)
            half = t_quantiles(den, confidence=level) * sds / np.sqrt(den)
        lower = np.select(
            [kinds == "proportion", np.isin(kinds, ["rate", "count"]), kinds == "mean"],
            [wl * mult, p_lo * rate_scale, val - half],
            default=np.nan,
        )
        upper = np.select(
            [kinds == "proportion", np.isin(kinds, ["rate", "count"]), kinds == "mean"],
            [wh * mult, p_hi * rate_scale, val + half],
            default=np.nan,
        )
        suffix = _suffix(level)
        columns[f"lower_{suffix}"] = lower
        columns[f"upper_{suffix}"] = upper
    return frame.with_columns(
        [
            pl.Series(name, data, dtype=pl.Float64, nan_to_null=True)
            for name, data in columns.items()
        ]
    )


# --- comparisons with benchmarks, trends, ranks and quartiles (Fingertips and LAIT) -------

POLARITIES = ("high_is_good", "low_is_good", "no_judgement")
TREND_CONFIDENCE = 0.998
TREND_POINTS = 5


def _check_polarity(polarity: str) -> None:
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, not {polarity!r}")


def _judge(direction: str, polarity: str) -> str:
    """'higher'/'lower' turned into 'better'/'worse' by polarity."""
    if polarity == "no_judgement":
        return direction
    good = "higher" if polarity == "high_is_good" else "lower"
    return "better" if direction == good else "worse"


def compare_to_benchmark(
    value: float | None,
    lower: float | None,
    upper: float | None,
    benchmark: float | None,
    *,
    polarity: str,
) -> str:
    """Fingertips' comparison of a value with a benchmark (England, region, neighbours).

    The interval (at whichever level the caller chose, usually 95% or 99.8%) excludes the
    benchmark above or below it: ``better``/``worse`` by polarity, or ``higher``/``lower``
    for ``no_judgement``; it includes it: ``similar``. Without a value, an interval or a
    benchmark: ``not compared``.

    >>> compare_to_benchmark(60.0, 55.0, 65.0, 50.0, polarity="high_is_good")
    'better'
    """
    _check_polarity(polarity)
    if _missing(value, lower, upper, benchmark):
        return "not compared"
    if lower > benchmark:
        return _judge("higher", polarity)
    if upper < benchmark:
        return _judge("lower", polarity)
    return "similar"


TREND_SE_DIVISOR = 3.92
"""Fingertips takes a point's standard error as the width of its 95% interval / 3.92."""


@dataclass(frozen=True)
class TrendTest:
    """The test behind a recent trend marker (Fingertips' trend marker calculator).

    ``statistic`` is chi-square with 1 degree of freedom; ``slope`` the direction
    (per period: of the value for the regression, of the log-odds for proportions);
    ``stable`` whether every fit leaving out one point has a slope of the same sign.
    """

    statistic: float
    slope: float
    stable: bool
    method: str

    @property
    def significant(self) -> bool:
        return self.stable and self.statistic > z_value(TREND_CONFIDENCE) ** 2


def _sign(slope: float) -> int:
    # Fingertips counts a slope of exactly zero with the rising ones.
    return -1 if slope < 0 else 1


def _leave_one_out_stable(fit, *columns: np.ndarray) -> bool:
    signs = {_sign(fit(*columns))}
    for left_out in range(len(columns[0])):
        keep = np.arange(len(columns[0])) != left_out
        signs.add(_sign(fit(*(c[keep] for c in columns))))
    return len(signs) == 1


def chi_square_for_trend(numerators, denominators) -> float:
    """Chi-square test for linear trend in proportions (Armitage), time scored 1, 2, ...:
    N (N sum(r t) - R sum(n t))^2 / (R (N - R) (N sum(n t^2) - (sum(n t))^2))."""
    r = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    t = np.arange(1, len(r) + 1, dtype=float)
    big_n, big_r = n.sum(), r.sum()
    spread = big_n * np.sum(n * t * t) - np.sum(n * t) ** 2
    if big_r <= 0 or big_r >= big_n or spread <= 0:
        return 0.0
    return float(big_n * (big_n * np.sum(r * t) - big_r * np.sum(n * t)) ** 2) / float(
        big_r * (big_n - big_r) * spread
    )


def _logit_slope(t: np.ndarray, logits: np.ndarray) -> float:
    """Ordinary least-squares slope of the log-odds on time."""
    dt = t - t.mean()
    return float(np.sum(dt * (logits - logits.mean())) / np.sum(dt * dt))


def _weighted_slope(t: np.ndarray, values: np.ndarray, weights: np.ndarray) -> float:
    s1, s3, s4 = weights.sum(), np.sum(weights * t), np.sum(weights * values)
    s2, s5 = np.sum(weights * values * t), np.sum(weights * t * t)
    return float((s1 * s2 - s3 * s4) / (s1 * s5 - s3**2))


def trend_test(values, lower, upper, *, numerators=None, denominators=None) -> TrendTest | None:
    """Fingertips' test for a recent trend over the five most recent points (oldest
    first); None where it cannot be calculated (fewer than five complete points, an
    interval of no width, or a proportion of 0% or 100%, whose log-odds are undefined).

    Proportions (numerators and denominators given): the chi-square test for linear
    trend in proportions; the slope of the log-odds on time, and each leave-one-out fit,
    give the direction and its stability. Other values: least squares weighted by
    1/SE^2, SE = (upper - lower) / 3.92; chi-square = (slope / its standard error)^2.
    """
    t = np.arange(1, TREND_POINTS + 1, dtype=float)
    if numerators is not None and denominators is not None:
        r = np.asarray(numerators, dtype=float)[-TREND_POINTS:]
        n = np.asarray(denominators, dtype=float)[-TREND_POINTS:]
        if len(r) < TREND_POINTS or not (np.isfinite(r) & np.isfinite(n)).all():
            return None
        if np.any(r <= 0) or np.any(r >= n):
            return None
        logits = np.log(r / (n - r))
        return TrendTest(
            statistic=chi_square_for_trend(r, n),
            slope=_logit_slope(t, logits),
            stable=_leave_one_out_stable(_logit_slope, t, logits),
            method="chi-square test for linear trend in proportions",
        )
    vals = np.asarray(values, dtype=float)[-TREND_POINTS:]
    lows = np.asarray(lower, dtype=float)[-TREND_POINTS:]
    highs = np.asarray(upper, dtype=float)[-TREND_POINTS:]
    complete = np.isfinite(vals) & np.isfinite(lows) & np.isfinite(highs)
    if len(vals) < TREND_POINTS or not complete.all():
        return None
    se = (highs - lows) / TREND_SE_DIVISOR
    if np.any(se <= 0):
        return None
    w = 1 / se**2
    slope = _weighted_slope(t, vals, w)
    s1, s3, s5 = w.sum(), np.sum(w * t), np.sum(w * t * t)
    slope_se = math.sqrt(s1 / (s1 * s5 - s3**2))
    return TrendTest(
        statistic=(slope / slope_se) ** 2,
        slope=slope,
        stable=_leave_one_out_stable(_weighted_slope, t, vals, w),
        method="weighted regression",
    )


def recent_trend(values, lower, upper, *, polarity: str, numerators=None, denominators=None) -> str:
    """Fingertips' recent trend marker from the five most recent points (oldest first).

    Proportions (numerators and denominators given): chi-square test for linear trend.
    Other values: weighted regression with standard errors from the 95% limits. A trend
    is significant at 99.8% and only if the slope keeps its sign when each point is left
    out in turn (see :func:`trend_test`).
    """
    _check_polarity(polarity)
    test = trend_test(values, lower, upper, numerators=numerators, denominators=denominators)
    if test is None:
        return "cannot be calculated"
    if not test.significant or test.slope == 0:
        return "no significant change"
    moving = "increasing" if test.slope > 0 else "decreasing"
    if polarity == "no_judgement":
        return moving
    judged = _judge("higher" if test.slope > 0 else "lower", polarity)
    return f"{moving} and getting {judged}"


def ranks(values, *, polarity: str) -> list[int | None]:
    """Rank among all authorities as LAIT ranks them: 1 the best, tied values sharing
    the best rank they span; missing values, and every value of an indicator with no
    better direction (LAIT shows '-'), get None."""
    _check_polarity(polarity)
    vals = [None if _missing(v) else float(v) for v in values]
    if polarity == "no_judgement":
        return [None] * len(vals)
    present = [v for v in vals if v is not None]
    ordered = sorted(present, reverse=polarity == "high_is_good")
    first = {}
    for position, v in enumerate(ordered, start=1):
        first.setdefault(v, position)
    return [None if v is None else first[v] for v in vals]


def quartile_cut_points(values) -> tuple[float, float, float]:
    """The lower quartile, median and upper quartile of all authorities' values
    (inclusive method, as Excel's QUARTILE used by LAIT)."""
    present = np.asarray([v for v in values if not _missing(v)], dtype=float)
    if present.size == 0:
        raise ValueError("no values to take quartiles of")
    q1, q2, q3 = np.quantile(present, [0.25, 0.5, 0.75], method="linear")
    return float(q1), float(q2), float(q3)


def quartile_band(
    value: float | None, cut_points: tuple[float, float, float], *, polarity: str
) -> str | None:
    """Quartile band A (best quarter) to D, as LAIT: a value equal to a cut-point belongs
    to the quarter below it. None without a value, or where the indicator has no better
    direction (LAIT shows '-')."""
    _check_polarity(polarity)
    if _missing(value) or polarity == "no_judgement":
        return None
    quarter = 1 + sum(value > c for c in cut_points)  # 1 = lowest values
    if polarity == "low_is_good":
        return "ABCD"[quarter - 1]
    return "DCBA"[quarter - 1]


def funnel_limits(
    centre: float, sizes, *, kind: str, multiplier: float = 100, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Control limits of a funnel plot around ``centre`` (on the value's scale) for each
    denominator in ``sizes``, as Fingertips' statistical process control comparisons:
    for proportions, Wilson score limits of the centre proportion at each size
    (Fingertips' "SPC for proportions"); for rates, exact Poisson limits of the expected
    count."""
    n = np.asarray(sizes, dtype=float)
    if kind == "proportion":
        lower, upper = _wilson_limits(n * (centre / multiplier), n, z_value(confidence))
        return lower * multiplier, upper * multiplier
    if kind == "rate":
        lower, upper = _exact_limits(centre / multiplier * n, confidence)
        return lower / n * multiplier, upper / n * multiplier
    raise ValueError(f"funnel limits are for proportions and rates, not {kind!r}")


def compare_to_control_limits(
    value: float | None,
    size: float | None,
    centre: float | None,
    *,
    polarity: str,
    kind: str,
    multiplier: float = 100,
    confidence: float = 0.95,
) -> str:
    """Where a value falls against the funnel's control limits around ``centre`` at its
    own denominator ``size`` (Fingertips' statistical process control comparison):
    above or below them ``better``/``worse`` by polarity (``higher``/``lower`` without
    judgement), within them ``similar``; ``not compared`` without the figures."""
    _check_polarity(polarity)
    if _missing(value, size, centre) or size <= 0:
        return "not compared"
    lower, upper = funnel_limits(
        centre, [size], kind=kind, multiplier=multiplier, confidence=confidence
    )
    if value > upper[0]:
        return _judge("higher", polarity)
    if value < lower[0]:
        return _judge("lower", polarity)
    return "similar"


@dataclass(frozen=True)
class Forecast:
    """Where a figure is heading if nothing changes: the baseline of "turn the curve"."""

    steps: int
    """How many periods ahead each point is (1 = the next period)."""
    value: list[float]
    lower: list[float]
    upper: list[float]
    points_used: int
    slope: float
    """Change per period of the fitted line."""


FORECAST_MINIMUM = 5
FORECAST_POINTS = 8


def baseline_forecast(
    values, *, ahead: int = 4, confidence: float = 0.95, points: int = FORECAST_POINTS
) -> Forecast | None:
    """The baseline forecast: an ordinary least-squares line through the most recent
    ``points`` figures (at least five; missing ones leave gaps in time, not in the line's
    spacing), carried ``ahead`` periods on, with its ``confidence`` prediction interval
    (the line's uncertainty and the scatter about it: t with n - 2 degrees of freedom).
    None with fewer than five figures.

    >>> f = baseline_forecast([10, 12, 11, 13, 14], ahead=1)
    >>> round(f.value[0], 3), round(f.lower[0], 3), round(f.upper[0], 3)
    (14.7, 11.03, 18.37)
    """
    recent = list(values)[-points:]
    t = np.array([i for i, v in enumerate(recent) if not _missing(v)], dtype=float)
    y = np.array([float(v) for v in recent if not _missing(v)], dtype=float)
    n = t.size
    if n < FORECAST_MINIMUM:
        return None
    t_bar, y_bar = t.mean(), y.mean()
    sxx = float(((t - t_bar) ** 2).sum())
    slope = float(((t - t_bar) * (y - y_bar)).sum() / sxx)
    intercept = y_bar - slope * t_bar
    residual = y - (intercept + slope * t)
    s = math.sqrt(float((residual**2).sum()) / (n - 2))
    q = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 2))
    future = np.arange(len(recent), len(recent) + ahead, dtype=float)
    centre = intercept + slope * future
    half = q * s * np.sqrt(1 + 1 / n + (future - t_bar) ** 2 / sxx)
    return Forecast(
        steps=ahead,
        value=centre.tolist(),
        lower=(centre - half).tolist(),
        upper=(centre + half).tolist(),
        points_used=n,
        slope=slope,
    )

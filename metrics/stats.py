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
    z = z_value(confidence)
    p = numerator / denominator
    centre = 2 * numerator + z * z
    spread = z * math.sqrt(z * z + 4 * numerator * (1 - p))
    scale = 2 * (denominator + z * z)
    return ((centre - spread) / scale, (centre + spread) / scale)


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

"""Comparisons, trend markers, ranks and quartile bands (Fingertips and LAIT conventions).

The expected values are worked by hand from the published methods (Fingertips technical
guidance; LAIT's quartile and rank notes) and, for the trend test, checked against a
second, independent formulation of the same statistic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics.core.stats import (
    chi_square_for_trend,
    compare_to_benchmark,
    quartile_band,
    quartile_cut_points,
    ranks,
    recent_trend,
    z_value,
)


@pytest.mark.parametrize(
    ("value", "lower", "upper", "benchmark", "polarity", "expected"),
    [
        (60, 55, 65, 50, "high_is_good", "better"),
        (60, 55, 65, 50, "low_is_good", "worse"),
        (40, 35, 45, 50, "high_is_good", "worse"),
        (40, 35, 45, 50, "low_is_good", "better"),
        (48, 45, 51, 50, "high_is_good", "similar"),
        (45, 40, 50, 50, "high_is_good", "similar"),  # the limit touching the benchmark
        (60, 55, 65, 50, "no_judgement", "higher"),
        (40, 35, 45, 50, "no_judgement", "lower"),
        (40, None, None, 50, "high_is_good", "not compared"),
        (40, 35, 45, None, "low_is_good", "not compared"),
        (math.nan, 35, 45, 50, "low_is_good", "not compared"),
    ],
)
def test_compare_to_benchmark(value, lower, upper, benchmark, polarity, expected):
    assert compare_to_benchmark(value, lower, upper, benchmark, polarity=polarity) == expected


def test_compare_rejects_unknown_polarity():
    with pytest.raises(ValueError, match="polarity"):
        compare_to_benchmark(1, 0, 2, 1, polarity="up")


def test_armitage_statistic_matches_the_published_r_example():
    # R's stats::prop.trend.test documentation: smokers c(83, 90, 129, 70) of patients
    # c(86, 93, 136, 82) give X-squared = 8.2249, df = 1 (Armitage's test for trend).
    stat = chi_square_for_trend([83, 90, 129, 70], [86, 93, 136, 82])
    assert round(stat, 4) == 8.2249


def test_armitage_statistic_matches_weighted_regression_form():
    r = np.array([100.0, 120, 140, 160, 180])
    n = np.array([1000.0, 1000, 1000, 1000, 1000])
    stat = chi_square_for_trend(r, n)
    # the same statistic as the regression of p on x weighted by n, over p(1-p)
    x = np.arange(1, 6, dtype=float)
    p, pbar = r / n, r.sum() / n.sum()
    xbar = np.sum(n * x) / n.sum()
    b = np.sum(n * (x - xbar) * (p - pbar)) / np.sum(n * (x - xbar) ** 2)
    expected = b * b * np.sum(n * (x - xbar) ** 2) / (pbar * (1 - pbar))
    assert stat == pytest.approx(expected, rel=1e-12)
    assert stat > z_value(0.998) ** 2  # 52.6 by hand: well past 9.55


def test_recent_trend_proportions():
    n = [1000] * 5
    rising = [100, 120, 140, 160, 180]
    assert (
        recent_trend(
            [r / 10 for r in rising],
            None,
            None,
            polarity="high_is_good",
            numerators=rising,
            denominators=n,
        )
        == "increasing and getting better"
    )
    assert (
        recent_trend(
            [r / 10 for r in rising],
            None,
            None,
            polarity="low_is_good",
            numerators=rising,
            denominators=n,
        )
        == "increasing and getting worse"
    )
    assert (
        recent_trend(
            [0] * 5, None, None, polarity="no_judgement", numerators=rising[::-1], denominators=n
        )
        == "decreasing"
    )
    flat = [100, 101, 99, 100, 100]
    assert (
        recent_trend([0] * 5, None, None, polarity="high_is_good", numerators=flat, denominators=n)
        == "no significant change"
    )


def test_recent_trend_needs_the_slope_to_survive_leaving_out_each_point():
    # one jump at the end is significant overall, but without it the series falls
    jump = [110, 105, 100, 95, 300]
    stat = chi_square_for_trend(jump, [1000] * 5)
    assert stat > z_value(0.998) ** 2
    assert (
        recent_trend(
            [0] * 5, None, None, polarity="high_is_good", numerators=jump, denominators=[1000] * 5
        )
        == "no significant change"
    )


def test_recent_trend_regression_for_rates():
    values = [50.0, 45.0, 40.0, 35.0, 30.0]
    lower = [v - 2 for v in values]
    upper = [v + 2 for v in values]
    assert recent_trend(values, lower, upper, polarity="low_is_good") == (
        "decreasing and getting better"
    )
    wide_lower = [v - 40 for v in values]
    wide_upper = [v + 40 for v in values]
    assert recent_trend(values, wide_lower, wide_upper, polarity="low_is_good") == (
        "no significant change"
    )


def test_recent_trend_needs_five_points():
    assert recent_trend([1, 2, 3, 4], [0] * 4, [5] * 4, polarity="high_is_good") == (
        "cannot be calculated"
    )
    assert recent_trend([1, 2, None, 4, 5], [0] * 5, [9] * 5, polarity="high_is_good") == (
        "cannot be calculated"
    )


def test_ranks_share_the_best_rank_they_span():
    assert ranks([10, 20, 20, 30, None], polarity="high_is_good") == [4, 2, 2, 1, None]
    assert ranks([10, 20, 20, 30], polarity="low_is_good") == [1, 2, 2, 4]
    # LAIT does not rank an indicator with no better direction
    assert ranks([5, 6, None], polarity="no_judgement") == [None, None, None]


def test_quartile_bands_put_cut_points_in_the_quarter_below():
    cuts = quartile_cut_points([1, 2, 3, 4, 5])
    assert cuts == (2.0, 3.0, 4.0)
    high = [quartile_band(v, cuts, polarity="high_is_good") for v in (1, 2, 2.5, 3, 4, 4.1, 5)]
    assert high == ["D", "D", "C", "C", "B", "A", "A"]
    low = [quartile_band(v, cuts, polarity="low_is_good") for v in (1, 2, 3, 4, 5)]
    assert low == ["A", "A", "B", "C", "D"]
    assert quartile_band(None, cuts, polarity="low_is_good") is None
    assert quartile_band(3, cuts, polarity="no_judgement") is None

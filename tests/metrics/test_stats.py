"""Confidence intervals agree with OHID's published test vectors (PHEindicatormethods)."""

from __future__ import annotations

import csv
import math

import polars as pl
import pytest

from metrics.core import stats
from tests.conftest import reference_file

TOL = 1e-9


def _float(text: str) -> float:
    return float(text) if text not in ("", "NA") else math.nan


def _close(actual: float, expected: float) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    return abs(actual - expected) <= TOL * max(1.0, abs(expected))


def _rows(name: str) -> list[dict[str, str]]:
    with reference_file("phe", name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# A few values kept here so the tests bite even without ../shared/reference
# (from PHEindicatormethods' testdata_Byars_Wilson and testdata_Rate).
LITERAL = [
    ("wilson", 65, 100, 0.95, 0.5525444329688797, 0.7363575175690247),
    ("wilson", 1045, 5000, 0.998, 0.19179381799015244, 0.22731562902525818),
    ("wilson", 0.445, 1, 0.95, 0.04381744772058822, 0.9334621276979156),
    ("byars", 1045, None, 0.95, 982.5932018073325, 1110.33121298565),
    ("byars", 10, None, 0.998, 2.916318374695686, 24.193724927880535),
    ("byars", 1, None, 0.998, math.nan, 9.362180217908362),
    ("exact", 5, None, 0.998, 0.739371731917839, 16.454745203680105),
]


@pytest.mark.parametrize(("method", "x", "n", "conf", "lo", "hi"), LITERAL)
def test_literal_fixtures(method, x, n, conf, lo, hi):
    if method == "wilson":
        got = stats.wilson_interval(x, n, confidence=conf)
    elif method == "byars":
        got = stats.byars_interval(x, confidence=conf)
    else:
        got = stats.exact_poisson_interval(x, confidence=conf)
    assert _close(got[0], lo) and _close(got[1], hi), got


def test_byars_wilson_reference_file():
    rows = _rows("testdata_Byars_Wilson__testdata_B_W.csv")
    assert len(rows) >= 13
    for row in rows:
        x, conf = float(row["x"]), float(row["confidence"].rstrip("%")) / 100
        if row["method"] == "Wilson":
            got = stats.wilson_interval(x, float(row["n"]), confidence=conf)
        else:
            got = stats.byars_interval(x, confidence=conf)
        expected = (_float(row["lowercl"]), _float(row["uppercl"]))
        assert _close(got[0], expected[0]), (row, got)
        assert _close(got[1], expected[1]), (row, got)


def _check_table(rows, compute):
    checked = 0
    for row in rows:
        num, den = _float(row["Numerator"]), _float(row["Denominator"])
        mult = float(row["multiplier"])
        for level, lo_col, hi_col in (
            (0.95, "lower95_0cl", "upper95_0cl"),
            (0.998, "lower99_8cl", "upper99_8cl"),
        ):
            lo, hi = compute(num, den, mult, level)
            assert _close(lo, _float(row[lo_col])), (row["Area"], level, lo, row[lo_col])
            assert _close(hi, _float(row[hi_col])), (row["Area"], level, hi, row[hi_col])
            checked += 1
    return checked


def test_proportion_reference_file():
    def compute(num, den, mult, level):
        lo, hi = stats.wilson_interval(num, den, confidence=level)
        return lo * mult, hi * mult

    assert _check_table(_rows("testdata_Proportion__testdata_Prop.csv"), compute) == 38


def test_rate_reference_file():
    def compute(num, den, mult, level):
        return stats.rate_interval(num, den, multiplier=mult, confidence=level)

    assert _check_table(_rows("testdata_Rate__testdata_Rate.csv"), compute) == 40


def test_vectorised_forms_agree_with_reference():
    prop = [r for r in _rows("testdata_Proportion__testdata_Prop.csv")]
    rate = [r for r in _rows("testdata_Rate__testdata_Rate.csv")]
    rows = [(r, "proportion") for r in prop] + [(r, "rate") for r in rate]
    frame = pl.DataFrame(
        {
            "kind": [k for _, k in rows],
            "numerator": [_float(r["Numerator"]) for r, _ in rows],
            "denominator": [_float(r["Denominator"]) for r, _ in rows],
            "value": [_float(r["value"]) for r, _ in rows],
            "sd": [None] * len(rows),
            "multiplier": [float(r["multiplier"]) for r, _ in rows],
        },
        nan_to_null=True,
    )
    out = stats.add_intervals(frame)
    for i, (row, _) in enumerate(rows):
        for col, ref in (
            ("lower_95", "lower95_0cl"),
            ("upper_95", "upper95_0cl"),
            ("lower_998", "lower99_8cl"),
            ("upper_998", "upper99_8cl"),
        ):
            got = out[col][i]
            assert _close(math.nan if got is None else got, _float(row[ref])), (row, col, got)


def test_mean_interval_student_t():
    # 95% t interval for mean 10, sd 2, n 25: t(0.975, 24) = 2.0638985616280205
    lo, hi = stats.mean_interval(10.0, 2.0, 25)
    assert lo == pytest.approx(10 - 2.0638985616280205 * 2 / 5, abs=1e-12)
    assert hi == pytest.approx(10 + 2.0638985616280205 * 2 / 5, abs=1e-12)


def test_undefined_inputs_give_nan():
    assert all(math.isnan(v) for v in stats.wilson_interval(5, 0))
    assert all(math.isnan(v) for v in stats.rate_interval(5, 0))
    assert all(math.isnan(v) for v in stats.mean_interval(5, 1, 1))
    assert stats.byars_interval(0)[0] == 0.0


def test_baseline_forecast_against_values_worked_by_hand():
    from metrics.core.stats import baseline_forecast

    # y = 10, 12, 11, 13, 14 at t = 0..4: t-bar 2, y-bar 12, Sxx 10, Sxy 9, so the line is
    # 10.2 + 0.9t; residuals -0.2, 0.9, -1.0, 0.1, 0.2 give SSE 1.9 and s^2 = 1.9 / 3.
    # At t = 5: 14.7, and the 95% prediction interval is 14.7 -/+ t(3, 0.975) = 3.182446
    # times s * sqrt(1 + 1/5 + 9/10) = 1.153254: 11.0299 to 18.3701.
    f = baseline_forecast([10, 12, 11, 13, 14], ahead=2)
    assert f.slope == pytest.approx(0.9)
    assert f.value[0] == pytest.approx(14.7)
    assert f.lower[0] == pytest.approx(11.0299, abs=1e-4)
    assert f.upper[0] == pytest.approx(18.3701, abs=1e-4)
    # t = 6: 15.6 -/+ 3.182446 * 0.795822 * sqrt(1 + 1/5 + 16/10) = 4.2380
    assert f.value[1] == pytest.approx(15.6)
    assert f.upper[1] - f.value[1] == pytest.approx(4.2380, abs=1e-4)


def test_baseline_forecast_keeps_time_across_a_missing_figure():
    from metrics.core.stats import baseline_forecast

    # 5, -, 7, 8, 9, 10 lie on y = 5 + t exactly (t = 0, 2, 3, 4, 5): no scatter
    f = baseline_forecast([5, None, 7, 8, 9, 10], ahead=2)
    assert f.points_used == 5
    assert f.value == pytest.approx([11, 12])
    assert f.lower == pytest.approx(f.value) and f.upper == pytest.approx(f.value)
    assert baseline_forecast([1, 2, None, 4, 5]) is None  # four figures: too few

"""Worked examples from the test suites Fingertips and LAIT publish with their own code.

Each case's figures and expected answers are copied from the named file; the assertions
are what that file asserts, in this product's vocabulary. Sources:

* Fingertips (OHID, formerly PHE), github.com/ukhsa-collaboration/fingertips-open,
  ``PholioVisualisationWS/AnalysisTest/``: ``TrendMarkerCalculatorTest.cs``,
  ``WhenUsingTrendMarkerCalculator.cs``, ``SingleOverlappingCIsComparatorTest.cs``,
  ``SingleOverlappingCIsForTwoCILevelsComparerTest.cs``,
  ``SpcForProportionsComparerTest.cs``, ``QuartilesCalculatorTest.cs`` and
  ``QuartilesComparerTest.cs``. Fingertips' polarity 0 is "low is good", 1 "high is good".
* Fingertips Next (DHSC), github.com/dhsc-govuk/FingertipsNext,
  ``trend-analysis/TrendAnalysisApp.UnitTests/Calculator/TrendCalculatorTests.cs`` with
  ``IndicatorTestData.cs``: England and regional series whose markers were checked
  against fingertips.phe.org.uk.
* LAIT (DfE), github.com/dfe-analytical-services/local-authority-interactive-tool,
  ``tests/testthat/test-fn_analysis.R``: quartile bands and ranks.
"""

from __future__ import annotations

import pytest

from metrics.core.stats import (
    chi_square_for_trend,
    compare_to_benchmark,
    compare_to_control_limits,
    quartile_band,
    quartile_cut_points,
    ranks,
    recent_trend,
    trend_test,
)

# --- Fingertips recent trend -------------------------------------------------------------

# TrendMarkerCalculatorTest.cs, GetTrendData_Set1 (count, denominator, value, 95% limits),
# 2014 to 2018, oldest first.
SET1 = [
    (994, 40299, 24.67, 23.16, 26.25),
    (1023, 41527, 24.6, 23.15, 26.19),
    (1199, 42811, 28.0, 26.44, 29.64),
    (1332, 44064, 30.2, 28.63, 31.9),
    (1367, 44701, 30.6, 28.98, 32.25),
]
# GetTrendData_Set2, 2014 to 2018.
SET2 = [
    (209, 1017, 20.5506, 18.1803, 23.1427),
    (213, 1087, 19.5952, 17.3444, 22.0602),
    (213, 1119, 19.0349, 16.8421, 21.4394),
    (239, 1117, 21.3966, 19.0918, 23.8975),
    (210, 1139, 18.4372, 16.2925, 20.7941),
]


def _columns(rows):
    return [list(column) for column in zip(*rows, strict=True)]


def test_fingertips_trend_regression_set1_is_significant_with_chi_square_46_77():
    _, _, values, lower, upper = _columns(SET1)
    test = trend_test(values, lower, upper)
    assert round(test.statistic, 2) == 46.77  # TestIsSignificantReturnsTrue
    assert test.significant
    assert recent_trend(values, lower, upper, polarity="no_judgement") == "increasing"


def test_fingertips_trend_proportions_set1_is_significant_with_chi_square_47_9():
    counts, denominators, values, lower, upper = _columns(SET1)
    test = trend_test(values, lower, upper, numerators=counts, denominators=denominators)
    assert round(test.statistic, 2) == 47.9  # TestIsSignificantForProportionsReturnsTrue
    assert test.significant


def test_fingertips_trend_set2_is_not_significant():
    _, _, values, lower, upper = _columns(SET2)
    assert not trend_test(values, lower, upper).significant  # TestIsSignificantReturnsFalse
    assert recent_trend(values, lower, upper, polarity="high_is_good") == "no significant change"


def test_fingertips_trend_proportions_cannot_be_calculated_at_100_percent():
    # GetTrendDataForProportion_Set2: 5 of 5 in 2012 makes the log-odds undefined
    counts, denominators = [5, 3, 1, 1, 2], [5, 5, 5, 4, 4]
    values = [100, 60, 20, 25, 50]
    assert trend_test(values, None, None, numerators=counts, denominators=denominators) is None
    assert (
        recent_trend(
            values,
            None,
            None,
            polarity="high_is_good",
            numerators=counts,
            denominators=denominators,
        )
        == "cannot be calculated"
    )


@pytest.mark.parametrize(
    ("counts", "denominators", "expected"),
    [
        # GetTrendData_1, 2006-2011: ChiSquare 8.0237
        ([5, 7, 6, 7, 8, 10], [22, 35, 42, 48, 54, 150], 8.0237),
        # GetTrendData_5, 2008-2012: ChiSquare 0.018
        ([5405, 5500, 5435, 5480, 5315], [18095, 18170, 18005, 17890, 17860], 0.018),
        # GetTrendData_6, 2007-2012: ChiSquare 1.3987
        (
            [5645, 5405, 5500, 5435, 5480, 5315],
            [18285, 18095, 18170, 18005, 17890, 17860],
            1.3987,
        ),
        # GetTrendData_7, 2006-2012: ChiSquare 0.3925
        (
            [5455, 5645, 5405, 5500, 5435, 5480, 5315],
            [18590, 18285, 18095, 18170, 18005, 17890, 17860],
            0.3925,
        ),
        # GetTrendData_5a, 2008-2012: ChiSquare 978.2845
        ([22435, 22445, 21365, 20955, 19055], [65880, 67900, 68705, 69835, 70910], 978.2845),
    ],
)
def test_fingertips_chi_square_for_trend_in_proportions(counts, denominators, expected):
    # WhenUsingTrendMarkerCalculator.cs, asserted to 4 decimal places
    assert round(chi_square_for_trend(counts, denominators), 4) == pytest.approx(expected, abs=5e-5)


# Fingertips Next, IndicatorTestData.cs: (count, denominator, value, lower 95%, upper 95%),
# oldest first.
DIABETES_PREVALENCE = [  # indicator 241, England 2020-2024, proportion
    (3455176, 48783947, 7.0826, 7.0754, 7.094),
    (3491868, 49122259, 7.1085, 7.1013, 7.1199),
    (3625401, 49956777, 7.2571, 7.2499, 7.2684),
    (3774801, 50649129, 7.4528, 7.4456, 7.4643),
    (3938080, 51441896, 7.6554, 7.6481, 7.6669),
]
YORKSHIRE_MMR = [  # indicator 30309, Yorkshire and the Humber 2020-2024, high is good
    (57274, 61834, 92.6254, 92.4168, 92.8288),
    (55865, 60511, 92.3221, 92.1072, 92.5315),
    (53681, 59074, 90.8708, 90.6358, 91.1004),
    (51767, 57508, 90.017, 89.7694, 90.2594),
    (53185, 59028, 90.1013, 89.8578, 90.3396),
]
DIABETIC_EYE_DISEASE = [  # indicator 41203, England 2020-2024, crude rate, low is good
    (1416, 48246126, 2.935, 2.7841, 3.0919),
    (935, 48440507, 1.93028, 1.8085, 2.058),
    (1344, 48753376, 2.7567, 2.6113, 2.9082),
    (1415, 49300918, 2.8701, 2.7225, 3.0237),
    (1502, 49866388, 3.0121, 2.8616, 3.1683),
]
UNDER_75_CANCER = [  # indicator 40501, England 2019-2023, directly standardised, low is good
    (61807, 51510878, 126.9341, 125.9343, 127.94),
    (61740, 51530437, 125.829, 124.8371, 126.8268),
    (60202, 51653460, 121.5234, 120.5533, 122.4993),
    (60192, 51966274, 122.3782, 121.4012, 123.361),
    # the source writes 2023's value as `120/7742`; its limits put it at 120.7742
    (59423, 52380101, 120.7742, 119.8035, 121.7507),
]


@pytest.mark.parametrize(
    ("series", "polarity", "expected"),
    [
        (DIABETES_PREVALENCE, "no_judgement", "increasing"),
        (YORKSHIRE_MMR, "high_is_good", "decreasing and getting worse"),
        (DIABETIC_EYE_DISEASE, "low_is_good", "increasing and getting worse"),
        (UNDER_75_CANCER, "low_is_good", "decreasing and getting better"),
    ],
)
def test_fingertips_next_trend_markers(series, polarity, expected):
    _, _, values, lower, upper = _columns(series)
    assert recent_trend(values, lower, upper, polarity=polarity) == expected


def test_fingertips_next_diabetes_trend_by_the_proportions_test_too():
    counts, denominators, values, _, _ = _columns(DIABETES_PREVALENCE)
    marker = recent_trend(
        values, None, None, polarity="no_judgement", numerators=counts, denominators=denominators
    )
    assert marker == "increasing"


def test_fingertips_next_trend_needs_five_points():
    # TestTrendCannotBeCalculatedWhenInsufficientDataPointsProvided: the cancer series
    # without its latest point
    _, _, values, lower, upper = _columns(UNDER_75_CANCER[:-1])
    assert recent_trend(values, lower, upper, polarity="low_is_good") == "cannot be calculated"


# --- Fingertips comparisons -------------------------------------------------------------


@pytest.mark.parametrize(
    ("benchmark", "value", "lower", "upper", "low_is_good", "high_is_good"),
    [
        (11, 11, 10, 12, "similar", "similar"),  # TestSameExactly
        (3.0, 3.05, 2.7, 3.1, "similar", "similar"),  # TestSame
        (3.0, 3.3, 3.2, 3.5, "worse", "better"),  # TestHigher
        (3.0, 2.5, 2.2, 2.8, "better", "worse"),  # TestLower
        (3.0, None, None, None, "not compared", "not compared"),  # TestMinusOneData
        (None, 2.5, 2.2, 2.8, "not compared", "not compared"),  # TestMinusOneParent
        (3.0, 4.0, None, 4.1, "not compared", "not compared"),  # no lower limit
        (3.0, 4.0, 4.0, None, "not compared", "not compared"),  # no upper limit
    ],
)
def test_fingertips_single_overlapping_cis(
    benchmark, value, lower, upper, low_is_good, high_is_good
):
    # SingleOverlappingCIsComparatorTest.cs
    assert compare_to_benchmark(value, lower, upper, benchmark, polarity="low_is_good") == (
        low_is_good
    )
    assert compare_to_benchmark(value, lower, upper, benchmark, polarity="high_is_good") == (
        high_is_good
    )


@pytest.mark.parametrize(
    ("benchmark", "at_95", "at_99_8"),
    [
        (3.0, "worse", "worse"),  # "Worst": outside both intervals
        (2.8, "worse", "similar"),  # "Worse": between the upper limits
        (2.6, "similar", "similar"),  # "Same"
        (2.4, "better", "similar"),  # "Better": between the lower limits
        (2.2, "better", "better"),  # "Best"
    ],
)
def test_fingertips_two_ci_levels_high_is_good(benchmark, at_95, at_99_8):
    # SingleOverlappingCIsForTwoCILevelsComparerTest.cs: value 2.6, 95% 2.5-2.7,
    # 99.8% 2.3-2.9, with polarity high is good
    assert compare_to_benchmark(2.6, 2.5, 2.7, benchmark, polarity="high_is_good") == at_95
    assert compare_to_benchmark(2.6, 2.3, 2.9, benchmark, polarity="high_is_good") == at_99_8


@pytest.mark.parametrize(
    ("centre", "value", "denominator", "at_95", "at_99_8"),
    [
        # indicator 1, 2010, England 8.9611...: areas 5PP, 5PN and 5PR
        (8.9611086876279327, 7.7065767284991562, 5930, "better", "better"),
        (8.9611086876279327, 9.8988121425428961, 2273, "similar", "similar"),
        (8.9611086876279327, 12.474645030425965, 1972, "worse", "worse"),
        # indicator 514, 2010, England 12.8379...: areas 5PY and 5GC
        (12.8379546895717, 10.9783420463032, 1339, "better", "similar"),
        (12.8379546895717, 15.9065628476085, 899, "worse", "similar"),
    ],
)
def test_fingertips_spc_for_proportions(centre, value, denominator, at_95, at_99_8):
    # SpcForProportionsComparerTest.cs, polarity low is good: the funnel plot's limits
    for confidence, expected in ((0.95, at_95), (0.998, at_99_8)):
        verdict = compare_to_control_limits(
            value,
            denominator,
            centre,
            polarity="low_is_good",
            kind="proportion",
            multiplier=100,
            confidence=confidence,
        )
        assert verdict == expected


def test_spc_without_a_denominator_is_not_compared():
    # SpcForProportionsComparerTest.TestDenominatorInvalid
    for size in (0, -1):
        assert (
            compare_to_control_limits(10, size, 10, polarity="low_is_good", kind="proportion")
            == "not compared"
        )


# --- quartiles and ranks ------------------------------------------------------------------


def test_fingertips_quartiles_of_1_to_50():
    # QuartilesCalculatorTest.TestCalculateBounds: 13.25, 25.5, 37.75
    assert quartile_cut_points(range(1, 51)) == (13.25, 25.5, 37.75)


def test_fingertips_quartile_categories_of_1_to_10():
    # QuartilesComparerTest.Test_GetCategories: 1 in the first (lowest) quarter, 10 the
    # fourth; LAIT's letters turn those by polarity
    cuts = quartile_cut_points(range(1, 11))
    assert quartile_band(1, cuts, polarity="low_is_good") == "A"
    assert quartile_band(10, cuts, polarity="low_is_good") == "D"
    assert quartile_band(1, cuts, polarity="high_is_good") == "D"
    assert quartile_band(10, cuts, polarity="high_is_good") == "A"


LAIT_CUTS = (25, 50, 75)  # the "25%", "50%" and "75%" bands of test-fn_analysis.R


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [(10, "A", "D"), (30, "B", "C"), (60, "C", "B"), (80, "D", "A")],
)
def test_lait_quartile_band_within_each_quartile(value, low, high):
    assert quartile_band(value, LAIT_CUTS, polarity="low_is_good") == low
    assert quartile_band(value, LAIT_CUTS, polarity="high_is_good") == high


@pytest.mark.parametrize(("value", "low"), [(0, "A"), (25, "A"), (50, "B"), (75, "C"), (100, "D")])
def test_lait_quartile_band_boundaries(value, low):
    assert quartile_band(value, LAIT_CUTS, polarity="low_is_good") == low


def test_lait_quartile_band_missing_value():
    assert quartile_band(None, LAIT_CUTS, polarity="high_is_good") is None


def test_lait_ranks():
    # calculate_rank(): normal values (Low), ties (High), missing values (Low), all missing
    assert ranks([10, 20, 30, 40, 50], polarity="low_is_good") == [1, 2, 3, 4, 5]
    assert ranks([10, 20, 20, 30, 40], polarity="high_is_good") == [5, 3, 3, 2, 1]
    assert ranks([10, None, 30, 20, None], polarity="low_is_good") == [1, None, 3, 2, None]
    assert ranks([None, None, None], polarity="low_is_good") == [None, None, None]

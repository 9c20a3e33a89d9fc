"""The sentences that say what a chart shows, made from its figures."""

from __future__ import annotations

import polars as pl

from metrics.reports.indicator import (
    Spine,
    breakdown_summary,
    forecast_summary,
    funnel_summary,
    localities_summary,
    spine_summary,
)
from metrics.reports.overview import summary_sentence


def test_localities_best_and_worst_follow_the_polarity(catalogue):
    local = pl.DataFrame({"area_name": ["North", "South", "East"], "value": [20.0, 31.25, None]})
    low_good = catalogue.indicator["SS01"]  # re-referrals: lower is better
    text = localities_summary(local, 28.4, low_good, "Westmere")
    assert text == (
        "Of 3 localities, North has the best figure (20.0%) and South the worst (31.3%); "
        "Westmere as a whole is 28.4%; 1 locality figure is withheld."
    )
    high_good = catalogue.indicator["BH01"]
    assert "South has the best figure (31.3%)" in localities_summary(local, None, high_good, "W")


def test_funnel_names_those_outside_the_limits():
    assert funnel_summary(["A", "B", "C"], ["worse", "similar", None]) == (
        "1 of 3 localities lie outside the 99.8% limits: A (worse)."
    )
    assert funnel_summary(["A"], ["similar"]).startswith("All 1 localities lie within")


def test_spine_says_rank_band_and_england(catalogue):
    place = Spine(
        worst=40.0,
        best=10.0,
        lower_band=25.0,
        upper_band=18.0,
        rank=140,
        count=153,
        band="D",
        verdict="worse",
        judged=True,
        low_is_good=True,
    )
    text = spine_summary(
        place, 28.4, 22.6, catalogue.indicator["SS01"], name="Westmere", year="2024-25"
    )
    assert text == (
        "Westmere's 28.4% ranks 140 of 153 authorities (1 is the best; quartile band D); "
        "England's in 2024-25 is 22.6%."
    )


def test_summary_counts_and_the_most_red():
    summary = pl.DataFrame(
        {
            "heading": ["Be healthy", "Stay safe"],
            "indicators": [9, 8],
            "green": [4, 1],
            "amber": [1, 2],
            "red": [4, 3],
            "no_target": [0, 2],
            "improving": [6, 3],
            "worsening": [3, 3],
        }
    )
    assert summary_sentence(summary, "the outcomes") == (
        "Across the outcomes: 7 red, 3 amber, 5 green and 2 not rated; 9 improving and 6 "
        "worsening. Most red: Be healthy (4)."
    )


def test_breakdown_says_the_latest_figures_and_the_gap(catalogue):
    rows = pl.DataFrame(
        {
            "category": ["Disadvantaged", "All other pupils", "Disadvantaged", "All other pupils"],
            "period": ["2023-24", "2023-24", "2024-25", "2024-25"],
            "value": [40.0, 60.0, 45.0, 65.5],
        }
    )
    text = breakdown_summary(
        rows, ("Disadvantaged", "All other pupils"), catalogue.indicator["ED01"]
    )
    assert text == (
        "In 2024-25: Disadvantaged 45.0%, All other pupils 65.5%; the gap (Disadvantaged "
        "minus All other pupils) is −20.5 pts."
    )


def test_forecast_says_where_the_figure_is_heading_against_the_target():
    curve = pl.DataFrame(
        {
            "period": ["2026-27-Q3", "2026-27-Q4"],
            "forecast": [24.0, 25.5],
            "lower": [20.0, 20.25],
            "upper": [28.0, 30.75],
            "target": [19.0, 19.0],
        }
    )
    assert forecast_summary("Re-referrals", curve, 1, "%") == (
        "If nothing changes, re-referrals will be about 25.5% by 2026-27 Q4 (Jan–Mar) "
        "(95% prediction interval 20.3% to 30.8%); the target then is 19.0%."
    )
    no_target = curve.with_columns(pl.lit(None, dtype=pl.Float64).alias("target"))
    assert forecast_summary("Re-referrals", no_target, 1, "%").endswith(
        "; no target is set for then."
    )
    assert forecast_summary("Re-referrals", curve.clear(), 1, "%") == (
        "Re-referrals: too few figures to forecast."
    )

"""Observations to indicator values: totals, RAG, changes, suppression, rounding."""

from __future__ import annotations

import polars as pl
import pytest

from metrics.core.formatting import round_half_up
from metrics.core.values import compute_indicator_values, gaps

AUTH = "E06099001"


def obs(rows):
    return pl.DataFrame(
        rows,
        schema={
            "indicator_code": pl.String,
            "period": pl.String,
            "area_code": pl.String,
            "breakdown": pl.String,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "value": pl.Float64,
            "sd": pl.Float64,
            "submission_id": pl.Int64,
        },
        orient="row",
    )


def test_authority_total_derived_from_localities(catalogue):
    rows = [
        ("BH01", "2025-26-Q1", a.code, "total", 30.0, 60.0, None, None, 1)
        for a in catalogue.localities
    ]
    values = compute_indicator_values(obs(rows), catalogue)
    total = values.filter(pl.col("area_code") == AUTH).row(0, named=True)
    n = len(catalogue.localities)
    assert total["derived"] is True
    assert (total["numerator"], total["denominator"]) == (30.0 * n, 60.0 * n)
    assert total["value"] == pytest.approx(50.0)
    assert total["lower_95"] < 50 < total["upper_95"]
    assert total["lower_998"] < total["lower_95"]


def test_given_authority_row_is_not_replaced(catalogue):
    rows = [
        ("BH01", "2025-26-Q1", a.code, "total", 30.0, 60.0, None, None, 1)
        for a in catalogue.localities
    ]
    rows.append(("BH01", "2025-26-Q1", AUTH, "total", 250.0, 500.0, None, None, 1))
    values = compute_indicator_values(obs(rows), catalogue)
    total = values.filter(pl.col("area_code") == AUTH)
    assert total.height == 1 and total["numerator"][0] == 250.0 and not total["derived"][0]


@pytest.mark.parametrize(
    ("code", "value", "rag"),
    [
        # BH01 high is good, 2025-26 target 54 with tolerance 3
        ("BH01", 54.0, "green"),
        ("BH01", 51.0, "amber"),
        ("BH01", 50.9, "red"),
        # SS01 low is good, 2025-26 target 20 with tolerance 2
        ("SS01", 20.0, "green"),
        ("SS01", 22.0, "amber"),
        ("SS01", 22.1, "red"),
        # SS04 has no judgement
        ("SS04", 300.0, "not judged"),
    ],
)
def test_rag_turns_with_polarity(catalogue, code, value, rag):
    # proportions: value% of 1,000; SS04 is a rate per 10,000: value x 10 of 100,000
    denominator = 100_000.0 if code == "SS04" else 1_000.0
    rows = [(code, "2025-26-Q2", AUTH, "total", value * 10, denominator, None, None, 1)]
    values = compute_indicator_values(obs(rows), catalogue)
    got = values.filter(pl.col("area_code") == AUTH).row(0, named=True)
    assert got["value"] == pytest.approx(value)
    assert got["rag"] == rag


def test_rag_uses_value_rounded_half_up(catalogue):
    # 50.95% shows as 51.0 (one decimal, half up), which is amber against 54 - 3
    rows = [("BH01", "2025-26-Q2", AUTH, "total", 5095.0, 10000.0, None, None, 1)]
    got = compute_indicator_values(obs(rows), catalogue).row(0, named=True)
    assert got["rag"] == "amber"


def test_changes_since_previous_period_and_year_ago(catalogue):
    rows = [
        ("SS02", p, AUTH, "total", n, 100.0, None, None, 1)
        for p, n in [("2024-25-Q2", 20.0), ("2025-26-Q1", 25.0), ("2025-26-Q2", 22.0)]
    ]
    values = compute_indicator_values(obs(rows), catalogue).filter(pl.col("period") == "2025-26-Q2")
    got = values.row(0, named=True)
    assert got["previous_value"] == pytest.approx(25.0)
    assert got["change_previous"] == pytest.approx(-3.0)
    assert got["year_ago_value"] == pytest.approx(20.0)
    assert got["change_year"] == pytest.approx(2.0)


def test_annual_indicator_changes_by_year(catalogue):
    rows = [
        ("BH04", p, AUTH, "total", n, 1000.0, None, None, 1)
        for p, n in [("2023-24", 15.0), ("2024-25", 12.0)]
    ]
    got = compute_indicator_values(obs(rows), catalogue).filter(pl.col("period") == "2024-25")
    assert got["change_previous"][0] == pytest.approx(-3.0)
    assert got["change_year"][0] == pytest.approx(-3.0)


def test_small_numbers_flagged(catalogue):
    rows = [("SS02", "2025-26-Q1", AUTH, "total", n, 100.0, None, None, 1) for n in (0.0,)]
    rows += [
        ("BH01", "2025-26-Q1", a.code, "total", n, 50.0, None, None, 1)
        for a, n in zip(catalogue.localities, [1, 4, 5, 0, 20, 30, 40], strict=True)
    ]
    values = compute_indicator_values(obs(rows), catalogue)
    flags = dict(
        zip(values["area_code"] + values["indicator_code"], values["suppressed"], strict=True)
    )
    locs = [a.code for a in catalogue.localities]
    assert [flags[c + "BH01"] for c in locs] == [True, True, False, False, False, False, False]
    assert flags[AUTH + "SS02"] is False  # zero is not disclosive


def test_mean_interval_and_gap(catalogue):
    rows = [
        ("ED02", "2024-25", AUTH, "total", None, 2000.0, 46.0, 20.0, 1),
        ("ED02", "2024-25", AUTH, "fsm:disadvantaged", None, 500.0, 36.0, 19.0, 1),
        ("ED02", "2024-25", AUTH, "fsm:other", None, 1500.0, 49.5, 19.0, 1),
    ]
    values = compute_indicator_values(obs(rows), catalogue)
    total = values.filter(pl.col("breakdown") == "total").row(0, named=True)
    assert total["upper_95"] - total["value"] == pytest.approx(1.9611520 * 20 / 2000**0.5, rel=1e-5)
    gap = gaps(values, catalogue).row(0, named=True)
    assert gap["gap"] == pytest.approx(-13.5)


@pytest.mark.parametrize(
    ("x", "d", "expected"),
    [
        (2.675, 2, 2.68),
        (0.125, 2, 0.13),
        (2.5, 0, 3.0),
        (-2.5, 0, -3.0),
        (1.005, 2, 1.01),
        (67.45, 1, 67.5),
        (12345.675, 2, 12345.68),
        # decimal halves that binary floats hold a hair below the half
        (46 / 80 * 100, 0, 58.0),  # DfE publishes 58
        ((9.1 + 9.2) / 2, 1, 9.2),  # a neighbour median: DfE shows 9.2
        (-2.345, 2, -2.35),
        (0.1 + 0.2, 1, 0.3),
        (1e300, 2, 1e300),  # nothing to round, and no overflow
    ],
)
def test_round_half_up(x, d, expected):
    """The same answer for a number and for a Polars column (one function, both ways)."""
    got = pl.DataFrame({"x": [x]}).select(round_half_up(pl.col("x"), d))["x"][0]
    assert got == pytest.approx(expected, abs=1e-12)
    assert round_half_up(x, d) == pytest.approx(expected, abs=1e-12)


def test_round_half_up_agrees_for_numbers_and_columns():
    import random

    rng = random.Random(7)
    xs = [rng.uniform(-1000, 1000) for _ in range(2000)]
    xs += [n / d * 100 for n in range(1, 80) for d in (8, 16, 40, 80)]  # many exact halves
    for d in (0, 1, 2):
        column = pl.DataFrame({"x": xs}).select(round_half_up(pl.col("x"), d))["x"].to_list()
        assert column == [round_half_up(x, d) for x in xs]

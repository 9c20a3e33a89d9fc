"""Suppression for publication: primary, secondary, and rounding half up."""

from __future__ import annotations

import polars as pl

from metrics.disclosure import public_table, suppress
from metrics.transforms import compute_indicator_values
from tests.metrics.test_transforms import obs


def _localities(catalogue, numerators):
    rows = [
        ("BH01", "2025-26-Q1", a.code, "total", float(n), 60.0, None, None, 1)
        for a, n in zip(catalogue.localities, numerators, strict=True)
    ]
    return compute_indicator_values(obs(rows), catalogue)


def _status(frame, catalogue):
    by_area = dict(zip(frame["area_code"], frame["suppression"], strict=True))
    return [by_area[a.code] for a in catalogue.localities]


def test_one_small_locality_takes_the_next_smallest_with_it(catalogue):
    values = suppress(_localities(catalogue, [3, 30, 12, 40, 25, 33, 9]), catalogue)
    assert _status(values, catalogue) == ["primary", None, None, None, None, None, "secondary"]
    total = values.filter(pl.col("area_code") == catalogue.authority.code)
    assert total["suppression"][0] is None  # the authority total is large enough to show


def test_two_small_localities_need_no_secondary(catalogue):
    values = suppress(_localities(catalogue, [3, 30, 2, 40, 25, 33, 9]), catalogue)
    assert _status(values, catalogue) == ["primary", None, "primary", None, None, None, None]


def test_no_small_numbers_no_suppression(catalogue):
    values = suppress(_localities(catalogue, [30, 30, 12, 40, 25, 33, 9]), catalogue)
    assert _status(values, catalogue) == [None] * 7


def test_breakdown_category_secondary(catalogue):
    auth = catalogue.authority.code
    rows = [
        ("ED01", "2024-25", auth, "total", 600.0, 1000.0, None, None, 1),
        ("ED01", "2024-25", auth, "fsm:disadvantaged", 4.0, 10.0, None, None, 1),
        ("ED01", "2024-25", auth, "fsm:other", 596.0, 990.0, None, None, 1),
        ("ED01", "2024-25", auth, "sex:female", 300.0, 500.0, None, None, 1),
        ("ED01", "2024-25", auth, "sex:male", 300.0, 500.0, None, None, 1),
    ]
    values = suppress(compute_indicator_values(obs(rows), catalogue), catalogue)
    status = dict(zip(values["breakdown"], values["suppression"], strict=True))
    assert status == {
        "total": None,
        "fsm:disadvantaged": "primary",
        "fsm:other": "secondary",
        "sex:female": None,
        "sex:male": None,
    }


def test_public_table_shows_c_with_footnotes_and_rounds_half_up(catalogue):
    table = public_table(_localities(catalogue, [3, 30, 12, 40, 25, 33, 9]), catalogue)
    first = table.filter(pl.col("area_code") == catalogue.localities[0].code).row(0, named=True)
    assert (first["numerator"], first["value"], first["lower_95"]) == ("c", "c", "c")
    assert "fewer than 5" in first["footnote"]
    last = table.filter(pl.col("area_code") == catalogue.localities[-1].code).row(0, named=True)
    assert last["value"] == "c" and "worked out" in last["footnote"]
    second = table.filter(pl.col("area_code") == catalogue.localities[1].code).row(0, named=True)
    assert second["value"] == "50.0" and second["numerator"] == "30" and second["unit"] == "%"
    # 12/60 = 20.0%, 25/60 = 41.666..% -> 41.7%
    fifth = table.filter(pl.col("area_code") == catalogue.localities[4].code).row(0, named=True)
    assert fifth["value"] == "41.7"

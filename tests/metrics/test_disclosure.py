"""Suppression for publication: primary, secondary, and rounding half up."""

from __future__ import annotations

import polars as pl

from metrics.core.disclosure import conceal, public_table, suppress
from metrics.core.values import compute_indicator_values
from tests.helpers import ingest
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


# --- conceal: what a reader without view-unsuppressed gets ------------------------------


def _authority_series(catalogue, numerators):
    """BH01 for the authority over consecutive quarters with these numerators (of 60)."""
    auth = catalogue.authority.code
    quarters = ["2024-25-Q1", "2024-25-Q2", "2024-25-Q3", "2024-25-Q4", "2025-26-Q1"]
    rows = [
        ("BH01", q, auth, "total", float(n), 60.0, None, None, 1)
        for q, n in zip(quarters, numerators, strict=True)
    ]
    return compute_indicator_values(obs(rows), catalogue)


def test_conceal_withholds_the_figures_of_a_small_count_and_everything_made_from_them(catalogue):
    values = _authority_series(catalogue, [30, 3, 30, 30, 30])
    hidden = conceal(values, suppress(values, catalogue)).sort("period_order")
    q1, q2, q3, q4, q5 = hidden.iter_rows(named=True)
    # the small count itself: figures, interval and RAG withheld; the group's size is not
    assert q2["suppression"] == "primary"
    assert [q2[c] for c in ("numerator", "value", "lower_95", "upper_95", "lower_998")] == [
        None
    ] * 5
    assert q2["denominator"] == 60 and q2["rag"] == "suppressed"
    assert q2["change_previous"] is None and q2["change_year"] is None
    # the next quarter's change would give the small count away (value - change)
    assert q3["suppression"] is None and q3["value"] == 50
    assert q3["previous_value"] is None and q3["change_previous"] is None
    # untouched where nothing near is small
    assert q4["previous_value"] == 50 and q4["change_previous"] == 0
    assert q1["value"] == 50
    # a year on from the small count (Q2 -> next year's Q2 is not here; Q1 -> Q1 is)
    assert q5["year_ago_value"] == 50 and q5["change_year"] == 0


def test_conceal_withholds_a_year_ago_figure_that_was_small(catalogue):
    values = _authority_series(catalogue, [3, 30, 30, 30, 30])
    last = conceal(values, suppress(values, catalogue)).sort("period_order").row(-1, named=True)
    assert last["period"] == "2025-26-Q1"
    assert last["year_ago_value"] is None and last["change_year"] is None
    assert last["change_previous"] == 0  # the quarter before was not small


def test_conceal_judges_secondary_suppression_on_the_whole_set(catalogue):
    """Reading one locality alone, it is still hidden when another locality's small count
    makes it the secondary suppression of its set."""
    values = _localities(catalogue, [3, 30, 12, 40, 25, 33, 9])
    last = catalogue.localities[-1].code
    one = conceal(values.filter(pl.col("area_code") == last), suppress(values, catalogue))
    assert one["suppression"].to_list() == ["secondary"] and one["value"].to_list() == [None]


def test_a_reader_without_view_unsuppressed_never_gets_a_small_number(tmp_path, catalogue):
    """Through the services, as each role: the same store, different figures."""
    from metrics.core.access import Actor, Role
    from metrics.services import area_values, export_values, indicator_series
    from metrics.store.connection import Store
    from tests.helpers import check, csv_bytes, good_return, set_cell

    group, period = "HCP", "2025-26-Q1"
    frame = good_return(catalogue, group, period)
    # make one locality's count small
    row = next(
        i
        for i, r in enumerate(frame.iter_rows(named=True))
        if r["indicator_code"] == "BH01" and r["area_code"] == catalogue.localities[0].code
    )
    frame = set_cell(frame, row, "numerator", "2")
    data = csv_bytes(frame)
    with Store(tmp_path / "s.duckdb") as store:
        report = check(catalogue, data, group, period, history=None)
        assert (
            ingest(
                store, report, catalogue=catalogue, data=data, file_name="r.csv", submitted_by="x"
            ).status
            == "accepted"
        )
        people = {
            role: Actor(id=f"t|{role.name}", name=role.value, roles=frozenset({role}))
            for role in (Role.BOARD, Role.SCRUTINY)
        }
        board = area_values(people[Role.BOARD], store, catalogue, "BH01", period)
        scrutiny = area_values(people[Role.SCRUTINY], store, catalogue, "BH01", period)
        small = catalogue.localities[0].code
        assert board.filter(pl.col("area_code") == small)["numerator"].to_list() == [2]
        seen = scrutiny.filter(pl.col("area_code") == small).row(0, named=True)
        assert (seen["numerator"], seen["value"], seen["suppression"]) == (None, None, "primary")
        assert scrutiny.filter(pl.col("suppression") == "secondary").height == 1
        series = indicator_series(
            people[Role.SCRUTINY], store, catalogue, "BH01", area=small, breakdown="total"
        )
        assert series["numerator"].to_list() == [None]
        exported = export_values(people[Role.SCRUTINY], store, catalogue)
        cell = exported.filter(
            (pl.col("indicator_code") == "BH01") & (pl.col("area_code") == small)
        ).row(0, named=True)
        assert (cell["numerator"], cell["value"]) == ("c", "c")
        assert export_values(people[Role.BOARD], store, catalogue).filter(
            (pl.col("indicator_code") == "BH01") & (pl.col("area_code") == small)
        )["numerator"].to_list() == [2]

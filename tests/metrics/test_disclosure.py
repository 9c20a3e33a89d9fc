"""Suppression for publication: primary, secondary, and rounding half up."""

from __future__ import annotations

import polars as pl

from metrics.core.disclosure import WITHHELD, additions, conceal, exposures, public_table, suppress
from metrics.core.values import compute_indicator_values
from tests.helpers import ingest
from tests.metrics.test_transforms import obs

NO_SD = (None, None, 1)
"""No value or SD given, submission 1."""


def _localities(catalogue, numerators):
    """BH01 (a proportion of 60 each) for the localities, with the authority's total."""
    rows = [
        ("BH01", "2025-26-Q1", a.code, "total", float(n), 60.0, None, None, 1)
        for a, n in zip(catalogue.localities, numerators, strict=True)
    ]
    total = float(sum(numerators))
    rows.append(("BH01", "2025-26-Q1", catalogue.authority.code, "total", total, 420.0, *NO_SD))
    return compute_indicator_values(obs(rows), catalogue)


def _withheld(frame, catalogue):
    by_area = dict(zip(frame["area_code"], frame["suppression"], strict=True))
    return [by_area[a.code] == WITHHELD for a in catalogue.localities]


def test_one_small_locality_takes_the_next_smallest_with_it(catalogue):
    values = suppress(_localities(catalogue, [3, 30, 12, 40, 25, 33, 9]), catalogue)
    assert _withheld(values, catalogue) == [True, False, False, False, False, False, True]
    total = values.filter(pl.col("area_code") == catalogue.authority.code)
    assert total["suppression"][0] is None  # the authority total is large enough to show


def test_a_zero_is_never_the_protection(catalogue):
    """The old rule hid the smallest other member, a 0 here: 32 - 30 shown = 2."""
    values = suppress(_localities(catalogue, [2, 0, 5, 6, 7, 6, 6]), catalogue)
    assert _withheld(values, catalogue) == [True, False, True, False, False, False, False]


def test_two_small_localities_whose_sum_is_small_need_a_third(catalogue):
    """3 + 2 = 5 from the total: each withheld count is then 1..4, a small number."""
    values = suppress(_localities(catalogue, [3, 30, 2, 40, 25, 33, 9]), catalogue)
    assert _withheld(values, catalogue) == [True, False, True, False, False, False, True]


def test_small_localities_whose_sum_is_large_protect_each_other(catalogue):
    values = suppress(_localities(catalogue, [4, 30, 4, 40, 25, 33, 4]), catalogue)
    assert _withheld(values, catalogue) == [True, False, True, False, False, False, True]
    assert values.filter(pl.col("suppression").is_not_null()).height == 3


def test_no_small_numbers_no_suppression(catalogue):
    values = suppress(_localities(catalogue, [30, 30, 12, 40, 25, 33, 9]), catalogue)
    assert _withheld(values, catalogue) == [False] * 7


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
        "fsm:disadvantaged": WITHHELD,
        "fsm:other": WITHHELD,
        "sex:female": None,
        "sex:male": None,
    }


def test_the_audit_finds_what_the_old_rule_gave_away(catalogue):
    """The interval attack on the old pattern (the small cell and a zero withheld)."""
    auth = catalogue.authority.code
    shown = {
        (a.code, "total"): float(n)
        for a, n in zip(catalogue.localities, [2, 0, 5, 6, 7, 6, 6], strict=True)
    }
    shown[(auth, "total")] = 32.0
    structure = additions(shown, auth, [a.code for a in catalogue.localities])
    old = [(catalogue.localities[0].code, "total"), (catalogue.localities[1].code, "total")]
    found = exposures([shown], structure, old, threshold=5)
    assert [(e.key, e.low, e.high) for e in found] == [(old[0], 1.0, 2.0)]
    better = [old[0], (catalogue.localities[2].code, "total")]
    assert exposures([shown], structure, better, threshold=5) == []


def test_a_mean_over_few_children_is_withheld_with_its_spread(catalogue):
    """A mean over two children with its SD gives the two values away (m +/- s)."""
    mean = next(i for i in catalogue.indicators if i.kind.value == "mean")
    rows = [
        (mean.code, "2024-25", a.code, "total", None, float(n), 20.0 + k, 4.0, 1)
        for k, (a, n) in enumerate(
            zip(catalogue.localities, [2, 30, 12, 40, 25, 33, 9], strict=True)
        )
    ]
    values = compute_indicator_values(obs(rows), catalogue)
    marked = suppress(values, catalogue)
    first = (
        conceal(values, marked)
        .filter(pl.col("area_code") == catalogue.localities[0].code)
        .row(0, named=True)
    )
    assert first["suppression"] == WITHHELD
    assert (first["value"], first["sd"], first["lower_95"]) == (None, None, None)
    assert first["denominator"] == 2


def test_public_table_has_numbers_as_numbers_and_marks_withheld_cells(catalogue):
    table = public_table(_localities(catalogue, [3, 30, 12, 40, 25, 33, 9]), catalogue)
    assert table.schema["numerator"] == pl.Int64 and table.schema["value"] == pl.Float64
    first = table.filter(pl.col("area_code") == catalogue.localities[0].code).row(0, named=True)
    assert (first["numerator"], first["value"], first["lower_95"]) == (None, None, None)
    assert first["suppressed"] == "c" and "fewer than 5" in first["footnote"]
    assert first["denominator"] == 60  # the size of the group is published
    last = table.filter(pl.col("area_code") == catalogue.localities[-1].code).row(0, named=True)
    assert last["value"] is None and last["footnote"] == first["footnote"]
    second = table.filter(pl.col("area_code") == catalogue.localities[1].code).row(0, named=True)
    assert (second["value"], second["numerator"], second["unit"]) == (50.0, 30, "%")
    assert second["suppressed"] is None and second["footnote"] is None
    assert second["indicator_title"] == catalogue.indicator["BH01"].title
    assert second["area_name"] == catalogue.localities[1].name
    # 12/60 = 20.0%, 25/60 = 41.666..% -> 41.7% (rounded half up, as the indicator shows it)
    fifth = table.filter(pl.col("area_code") == catalogue.localities[4].code).row(0, named=True)
    assert fifth["value"] == 41.7
    assert table.write_csv().count(",c,") == table.filter(pl.col("suppressed") == "c").height


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
    assert q2["suppression"] == WITHHELD
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
    assert one["suppression"].to_list() == [WITHHELD] and one["value"].to_list() == [None]


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
        assert (seen["numerator"], seen["value"], seen["suppression"]) == (None, None, WITHHELD)
        assert scrutiny.filter(pl.col("suppression") == WITHHELD).height == 2
        series = indicator_series(
            people[Role.SCRUTINY], store, catalogue, "BH01", area=small, breakdown="total"
        )
        assert series["numerator"].to_list() == [None]
        exported = export_values(people[Role.SCRUTINY], store, catalogue)
        cell = exported.filter(
            (pl.col("indicator_code") == "BH01") & (pl.col("area_code") == small)
        ).row(0, named=True)
        assert (cell["numerator"], cell["value"], cell["suppressed"]) == (None, None, "c")
        assert export_values(people[Role.BOARD], store, catalogue).filter(
            (pl.col("indicator_code") == "BH01") & (pl.col("area_code") == small)
        )["numerator"].to_list() == [2]

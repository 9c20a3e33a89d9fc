"""The exception list the board manages: indicators enter by rule (red, significantly worse
than England or the neighbours, a significantly worsening trend, a late return, an overdue
action); the board adds or takes off indicators with a recorded reason; each shows whether
the owning group has given its commentary."""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest

from metrics import services
from metrics import services as acc
from metrics.core.access import Actor, NotPermitted, Role
from metrics.core.clock import FixedClock
from metrics.core.periods import period_label
from metrics.reports import board as board_rules
from metrics.reports import figures as report_figures
from metrics.reports.overview import commentary_note
from metrics.store.connection import Store
from tests.helpers import csv_bytes, good_return, set_cell

BOARD = Actor(id="t|board", name="Chair", roles=frozenset({Role.BOARD}))
SCRUTINY = Actor(id="t|scrutiny", name="Councillor", roles=frozenset({Role.SCRUTINY}))


@pytest.fixture
def store(demo_db, tmp_path):
    shutil.copy(demo_db, tmp_path / "d.duckdb")
    with Store(tmp_path / "d.duckdb", clock=FixedClock(date(2026, 11, 23))) as s:
        yield s


def listed(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["indicator_code"]: r for r in frame.iter_rows(named=True) if r["listed"]}


def test_rules_then_the_boards_decisions(store, catalogue):
    on = date(2026, 11, 23)
    period = report_figures.default_period(store, today=on)
    table = services.indicator_table(BOARD, store, catalogue, period, benchmarks=True)
    red = set(table.filter(pl.col("rag") == "red")["indicator_code"])
    worse = set(table.filter(pl.col("vs_england") == "worse")["indicator_code"])
    first = listed(acc.exception_list(BOARD, store, catalogue, period, on=on))
    excluded = set(  # the demo's board has already taken some off, with its reasons
        store.frame(
            "SELECT indicator_code FROM exception_decisions WHERE period = ? "
            "AND decision = 'exclude'",
            [period],
        )["indicator_code"]
    )
    assert excluded and (red | worse) - excluded <= set(first) and not excluded & set(first)
    red -= excluded
    assert all(r["reasons"] for r in first.values())  # each entered by a rule, said why
    some_red = sorted(red)[0]
    assert "red against its target" in first[some_red]["reasons"]
    assert any(r["commentary_given"] for r in first.values())

    # the board takes a red one off and puts a quiet one on, each with its reason
    quiet = sorted(set(table["indicator_code"]) - set(first))[0]
    acc.decide_exception(
        BOARD,
        store,
        catalogue,
        period=period,
        indicator=some_red,
        include=False,
        reason="Recovery plan agreed last meeting",
    )
    acc.decide_exception(
        BOARD,
        store,
        catalogue,
        period=period,
        indicator=quiet,
        include=True,
        reason="Deep dive requested by scrutiny",
    )
    after = acc.exception_list(BOARD, store, catalogue, period, on=on)
    now = listed(after)
    assert some_red not in now and quiet in now
    off = after.filter(pl.col("indicator_code") == some_red).row(0, named=True)
    assert (off["decision"], off["decision_reason"]) == (
        "exclude",
        "Recovery plan agreed last meeting",
    )
    assert now[quiet]["decided_by"] == "Chair" and now[quiet]["reasons"] == ""
    with pytest.raises(NotPermitted):
        acc.decide_exception(
            SCRUTINY, store, catalogue, period=period, indicator=quiet, include=False, reason="x"
        )


def test_an_overdue_action_puts_its_indicator_on_the_list(store, catalogue):
    on = date(2026, 11, 23)
    period = report_figures.default_period(store, today=on)
    before = listed(acc.exception_list(BOARD, store, catalogue, period, on=on))
    quiet = sorted({i.code for i in catalogue.indicators} - set(before))[0]
    acc.record_action(
        BOARD,
        store,
        catalogue,
        group=catalogue.indicator[quiet].group,
        title="Audit cases",
        owner="Service manager",
        starts_on=date(2026, 9, 1),
        due_on=date(2026, 10, 31),
        indicator=quiet,
    )
    now = listed(acc.exception_list(BOARD, store, catalogue, period, on=on))
    assert now[quiet]["reasons"] == "an action on it is overdue"


def test_accountability_health_per_group(store, catalogue):
    on = date(2026, 11, 23)
    lead = Actor(id="t|lead", name="Lead", roles=frozenset({Role.LEAD}), groups=frozenset({"YJS"}))

    def record(group: str) -> dict:
        table = acc.health(SCRUTINY, store, catalogue, on=on)  # anyone may read it
        return table.filter(pl.col("group_code") == group).row(0, named=True)

    yjs_before, hcp_before = record("YJS"), record("HCP")  # the demo's year so far
    store.clock.set(date(2026, 10, 1))  # both challenges raised on 1 October
    late = acc.raise_challenge(
        BOARD,
        store,
        catalogue,
        group="YJS",
        indicator="YJ01",
        question="Why?",
        due_on=date(2026, 11, 1),
    )
    kept = acc.raise_challenge(
        BOARD,
        store,
        catalogue,
        group="YJS",
        indicator="YJ02",
        question="And this?",
        due_on=date(2026, 12, 1),
    )
    store.clock.set(date(2026, 11, 20))  # answered before its due date, 1 December
    acc.answer_challenge(lead, store, kept, answer="Because.")
    audit = acc.record_action(
        BOARD,
        store,
        catalogue,
        group="HCP",
        title="Audit",
        owner="Manager",
        starts_on=date(2026, 9, 1),
        due_on=date(2026, 10, 31),
    )
    table = acc.health(SCRUTINY, store, catalogue, on=on)  # anyone may read it
    assert table.height == len(catalogue.groups)
    yjs, hcp = record("YJS"), record("HCP")
    counted = ("challenges", "answered_in_time", "challenges_overdue")
    assert [yjs[k] - yjs_before[k] for k in counted] == [2, 1, 1]
    assert f"an answer to {late}" in yjs["owes"] and kept not in yjs["owes"]
    counted = ("actions_open", "actions_overdue")
    assert [hcp[k] - hcp_before[k] for k in counted] == [1, 1]
    assert f"progress on overdue action {audit}" in hcp["owes"]
    for row in table.iter_rows(named=True):  # every return due is on time, late or missing
        assert (
            row["returns_on_time"] + row["returns_late"] + row["returns_missing"]
            == (row["returns_due"])
        )


def test_commentary_repeated_while_the_figure_moved_is_stale(catalogue):
    from metrics.reports.board import _stale

    said = {("BH01", "2025-26-Q1"): "On track; no concerns."}
    row = {
        "indicator_code": "BH01",
        "period": "2025-26-Q2",
        "commentary": "On track; no concerns.",
        "change_previous": -4.2,
    }
    assert _stale(catalogue, row, said)
    assert not _stale(catalogue, {**row, "change_previous": 0.0}, said)  # figure did not move
    assert not _stale(catalogue, {**row, "commentary": "Fell: two staff left."}, said)
    annual = {
        "indicator_code": "ED01",
        "period": "2025-26",
        "commentary": "x",
        "change_previous": 1,
    }
    assert _stale(catalogue, annual, {("ED01", "2024-25"): "x"})


def test_commentary_older_than_the_latest_figure_is_shown_as_such_and_still_owed(store, catalogue):
    on = date(2026, 11, 23)
    period = report_figures.default_period(store, today=on)
    first = listed(acc.exception_list(BOARD, store, catalogue, period, on=on))
    code, row = next(
        (c, r)
        for c, r in sorted(first.items())
        if r["commentary_given"] and r["period"] == period  # a quarterly indicator
    )
    earlier = store.frame(
        "SELECT c.period, c.text FROM commentary c JOIN submissions s ON s.id = c.submission_id "
        "WHERE s.status = 'accepted' AND c.indicator_code = ? AND c.period < ? AND c.part = "
        "'commentary' ORDER BY c.period DESC LIMIT 1",
        [code, period],
    ).row(0, named=True)
    # the group's latest return says nothing about it (test set-up: its words are removed)
    store.cursor().execute(
        "DELETE FROM commentary WHERE indicator_code = ? AND period = ?", [code, period]
    )
    now = listed(acc.exception_list(BOARD, store, catalogue, period, on=on))[code]
    assert not now["commentary_given"] and now["commentary_stale"]
    assert now["commentary_period"] == earlier["period"]
    assert now["commentary"].startswith(earlier["text"])
    note = commentary_note(now)
    assert f"written for {period_label(earlier['period'])}" in note
    assert f"before the latest figure ({period_label(period)})" in note
    assert commentary_note(row) == ""


def test_a_correction_after_the_due_date_is_a_correction_not_lateness(store, catalogue):
    """A group that returned on time and corrects a figure after the due date stays on
    time: lateness is judged by the first accepted version; the correction is shown."""
    quarter, group = "2026-27-Q2", "HCP"  # due 30 October 2026
    lead = Actor(id="t|lead", name="Lead", roles=frozenset({Role.LEAD}), groups=frozenset({group}))

    def theirs() -> dict:
        status = board_rules.returns_status(store, catalogue, quarter)
        return status.filter(pl.col("group_code") == group).row(0, named=True)

    before = theirs()
    assert before["status"] == "submitted" and before["corrected_at"] is None
    on_time = acc.health(SCRUTINY, store, catalogue, on=date(2026, 12, 3))
    store.clock.set(date(2026, 12, 3))
    frame = good_return(catalogue, group, quarter)
    row = next(  # the authority's own figure of an indicator it gives numerator for
        i
        for i, (area, part, n) in enumerate(
            zip(frame["area_code"], frame["breakdown"], frame["numerator"], strict=True)
        )
        if area == catalogue.authority.code and part == "total" and n and float(n) > 20
    )
    code = frame["indicator_code"][row]
    fixed = set_cell(frame, row, "numerator", str(int(float(frame["numerator"][row])) + 7))
    data = csv_bytes(fixed)
    checked = acc.check_return(
        lead, store, catalogue, group=group, period=quarter, data=data, file_name="r.csv"
    )
    # before submitting: what it replaces, and its figures beside the new ones
    replaced = acc.replacing(lead, store, group, quarter)
    assert replaced["version"] == before["version"]
    assert replaced["submitted_at"] == before["accepted_at"]
    preview = acc.preview_return(lead, store, catalogue, checked)
    moved = preview.filter(pl.col("value") != pl.col("replaced_value"))
    assert moved["indicator_code"].to_list() == [code]
    explained = {f.key: "The provider refreshed its data." for f in checked.report.warnings}
    result = acc.submit_return(lead, store, catalogue, checked, explanations=explained)
    assert result.status == "accepted", result.message
    after = theirs()
    assert after["status"] == "submitted" and after["version"] == before["version"] + 1
    assert after["accepted_at"] == before["accepted_at"]  # when it first came in
    assert after["corrected_at"].date() == date(2026, 12, 3)
    health = acc.health(SCRUTINY, store, catalogue, on=date(2026, 12, 3))
    mine = pl.col("group_code") == group
    assert health.filter(mine)["returns_on_time"].to_list() == (
        on_time.filter(mine)["returns_on_time"].to_list()
    )

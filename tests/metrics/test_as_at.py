"""Figures as they stood at a meeting's data cut-off, reconstructed from the store's history:
a resubmission after the cut-off changes today's figures, not the meeting's."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from metrics import services as acc
from metrics.core.access import Actor, Role
from metrics.core.clock import FixedClock
from metrics.reports import figures as report_figures
from metrics.services import check_return, submit_return
from metrics.store.connection import Store
from tests.helpers import csv_bytes, good_return, set_cell

GROUP, PERIOD, CODE = "HCP", "2025-26-Q1", "BH01"
LEAD = Actor(id="t|lead", name="Lead", roles=frozenset({Role.LEAD}), groups=frozenset({GROUP}))
BOARD = Actor(id="t|board", name="Board", roles=frozenset({Role.BOARD}))


def submit(store, catalogue, frame, when: datetime):
    store.clock.set(when)  # the return is checked and stored on that day
    checked = check_return(
        LEAD,
        store,
        catalogue,
        group=GROUP,
        period=PERIOD,
        data=csv_bytes(frame),
        file_name="r.csv",
    )
    result = submit_return(LEAD, store, catalogue, checked)
    assert result.status == "accepted", result.message


def authority_value(source, catalogue) -> float:
    table = report_figures.indicator_table(source, catalogue, PERIOD, concealed=False)
    return table.filter(pl.col("indicator_code") == CODE)["value"][0]


def test_a_meeting_sees_the_figures_as_they_stood_at_its_cut_off(tmp_path, catalogue):
    first = good_return(catalogue, GROUP, PERIOD)
    row = next(
        i
        for i, r in enumerate(first.iter_rows(named=True))
        if r["indicator_code"] == CODE and r["area_code"] == catalogue.localities[0].code
    )
    second = set_cell(first, row, "numerator", str(int(first["numerator"][row]) + 9))
    with Store(tmp_path / "s.duckdb", clock=FixedClock(date(2025, 7, 20))) as store:
        submit(store, catalogue, first, datetime(2025, 7, 20, 9))
        meeting = acc.add_meeting(
            BOARD,
            store,
            held_on=date(2025, 8, 5),
            kind="ordinary",
            title="August board",
            cut_off=datetime(2025, 7, 31, 23, 59),
        )
        before = authority_value(store, catalogue)
        submit(store, catalogue, second, datetime(2025, 8, 2, 9))  # after the cut-off
        today = authority_value(store, catalogue)
        assert today != before

        shown, as_at = acc.as_at_meeting(BOARD, store, catalogue, meeting)
        assert shown["title"] == "August board"
        assert authority_value(as_at, catalogue) == pytest.approx(before)
        # the return's history as it stood: version 1 current, version 2 not yet received
        assert as_at.frame("SELECT version, status FROM submissions").rows() == [(1, "accepted")]
        assert store.frame("SELECT version, status FROM submissions ORDER BY version").rows() == [
            (1, "superseded"),
            (2, "accepted"),
        ]
        # every read goes through the same queries, suppression included
        series = report_figures.indicator_series(
            as_at, catalogue, CODE, area=catalogue.authority.code, concealed=True
        )
        assert series["value"].to_list() == [pytest.approx(before)]
        with pytest.raises(acc.NotFound):
            acc.as_at_meeting(BOARD, store, catalogue, 99)

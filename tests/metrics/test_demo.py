"""The demo database tells the story it promises, the same way every time."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import polars as pl
import pytest

from metrics.core.periods import quarters_between
from metrics.demo.build import LATE_GROUP, demo_submissions
from metrics.store.connection import Store


def test_every_group_has_twelve_or_more_quarters(demo_db, catalogue):
    with Store(demo_db, read_only=True) as store:
        per_group = store.frame(
            "SELECT group_code, count(DISTINCT period) AS quarters FROM submissions "
            "WHERE status = 'accepted' GROUP BY 1"
        )
    counts = dict(per_group.iter_rows())
    assert set(counts) == set(catalogue.group)
    quarterly = [
        g
        for g in catalogue.group
        if any(i.period_type.value == "financial_quarter" for i in catalogue.indicators_of(g))
    ]
    assert all(counts[g] >= 12 for g in quarterly), counts


def test_failures_resubmission_and_late_group(demo_db, catalogue):
    with Store(demo_db, read_only=True) as store:
        statuses = store.frame("SELECT status, count(*) AS n FROM submissions GROUP BY 1")
        rules = set(store.frame("SELECT DISTINCT rule FROM findings")["rule"])
        withheld = store.scalar("SELECT count(*) FROM submissions WHERE contents_withheld")
        latest = store.frame(
            "SELECT DISTINCT group_code FROM submissions WHERE period = ? AND status = 'accepted'",
            [catalogue.last_demo_quarter().code],
        )["group_code"].to_list()
        values = store.scalar("SELECT count(*) FROM indicator_values")
        rags = set(store.frame("SELECT DISTINCT rag FROM indicator_values")["rag"])
    counts = dict(statuses.iter_rows())
    assert counts["rejected"] >= 3 and counts["superseded"] >= 1
    assert {"C08", "C11", "C17", "H01", "W01"} <= rules
    assert withheld == 1
    assert LATE_GROUP not in latest and len(latest) >= 6
    assert values > 2000
    assert {"green", "amber", "red", "not judged"} <= rags


@pytest.mark.slow  # generates the demo in two processes
def test_demo_is_deterministic_across_processes(catalogue):
    """The demo's returns are the same bytes in another process with another hash seed
    (this process's seed is random), so its figures never depend on set or dict order."""
    script = (
        "import hashlib; from metrics.core.catalogue import load_catalogue; "
        "from metrics.demo.build import demo_submissions; h = hashlib.sha256(); "
        "[h.update(s.data) for s in demo_submissions(load_catalogue())]; print(h.hexdigest())"
    )
    here = hashlib.sha256()
    for sub in demo_submissions(catalogue):
        here.update(sub.data)
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "2"},
        timeout=300,
        check=True,
    )
    assert out.stdout.strip() == here.hexdigest()


def test_demo_spans_the_configured_quarters(catalogue):
    quarters = quarters_between(catalogue.first_demo_quarter(), catalogue.last_demo_quarter())
    assert len(quarters) >= 12


def test_shipped_demo_published_files_are_the_generated_ones(tmp_path, catalogue):
    from metrics.demo.published import DEMO_PUBLISHED, write_demo_published

    for path in write_demo_published(catalogue, tmp_path):
        assert path.read_bytes() == (DEMO_PUBLISHED / path.name).read_bytes(), path.name


def test_the_demo_lives_the_boards_year(demo_db, catalogue):
    """Meetings with the next one planned; challenges open, answered (by the lead, and by a
    return's commentary), resolved, carried forward and overdue; actions done, on track, at
    risk and overdue; an exception decided; forecasts; a deep dive; a public item."""
    from datetime import date

    today = date(2026, 11, 23)  # the tests' clock
    with Store(demo_db, read_only=True) as store:
        meetings = store.frame("SELECT held_on, kind FROM meetings ORDER BY held_on")
        challenges = store.frame("SELECT * FROM challenges")
        actions = store.frame("SELECT * FROM actions")
        logs = store.frame("SELECT reference, change FROM item_events")
        decided = store.scalar("SELECT count(*) FROM exception_decisions")
        forecasts = store.scalar("SELECT count(*) FROM group_forecasts")
        dives = store.frame("SELECT audience FROM deep_dives")["audience"].to_list()
    held = meetings.filter(pl.col("held_on") <= today)
    assert held.height >= 5 and meetings.height > held.height  # and the next one planned
    assert {"plan agreement", "mid-year review", "year-end sign-off"} <= set(meetings["kind"])
    statuses = set(challenges["status"])
    assert {"open", "resolved"} <= statuses
    answers = challenges["answer"].drop_nulls().to_list()
    assert any(a.startswith("With the return for") for a in answers)  # answered by a return
    assert any(not a.startswith("With the return for") for a in answers)  # by the lead
    overdue = challenges.filter((pl.col("status") == "open") & (pl.col("due_on") < today))
    assert overdue.height >= 1
    assert "carried forward" in set(logs["change"])
    assert challenges["public"].any()
    assert {"done", "on track", "at risk"} <= set(actions["status"])
    late = actions.filter(pl.col("status").is_in(["on track", "at risk"]))
    assert (late["due_on"] < today).any()  # an action overdue
    assert decided >= 2 and forecasts >= 3
    assert "Health and Wellbeing Board" in dives


def test_the_national_size_demo_spans_ten_years_of_returns_and_published_figures(catalogue):
    """``outcomes demo --scale national``: forty quarters of returns ending where the demo
    ends, and ten published years for every authority in each synthetic source (the real
    files as shipped)."""
    from metrics.benchmarks import read_source
    from metrics.demo.build import _published_files, demo_quarters, demo_submissions

    quarters = demo_quarters(catalogue, "national")
    assert len(quarters) == 40 and quarters[-1] == catalogue.last_demo_quarter()
    assert len(demo_quarters(catalogue)) < 20
    submitted = {s.quarter for s in demo_submissions(catalogue, "national")}
    assert submitted == set(quarters)
    with _published_files(catalogue, "national") as folder:
        for ind in catalogue.indicators:
            src = ind.published
            if src is None or not src.synthetic_in_demo:
                continue
            frame = read_source(folder / src.file, src).frame
            assert frame["period"].n_unique() == 10, ind.code
            las = frame.filter(pl.col("level") == "local authority")
            assert las.group_by("period").len()["len"].min() >= 153, ind.code

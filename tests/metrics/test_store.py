"""The store: versions, duplicates, rejected returns, explanations, and all-or-nothing ingest."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import polars as pl
import pytest

from metrics.store.connection import Store
from metrics.store.reads.returns import history
from metrics.store.schema import MIGRATIONS
from tests.helpers import check, csv_bytes, good_return, set_cell
from tests.helpers import ingest as submit_validated

GROUP = "HCP"
TABLES = [
    "submissions",
    "findings",
    "observations",
    "commentary",
    "indicator_values",
    "audit_log",
    "schema_migrations",
]


@pytest.fixture
def store(store_at):
    with Store(store_at()) as s:
        yield s


def snapshot(store: Store) -> dict[str, pl.DataFrame]:
    return {t: store.frame(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES}


def same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> bool:
    return all(a[t].equals(b[t]) for t in TABLES)


def ingest(store, catalogue, frame, period, **kw):
    data = csv_bytes(frame)
    report = check(catalogue, data, GROUP, period, history=history(store, GROUP))
    return submit_validated(
        store,
        report,
        catalogue=catalogue,
        data=data,
        file_name="r.csv",
        submitted_by="tester",
        **kw,
    )


def test_migrations_are_versioned(store):
    assert store.schema_version() == max(v for v, _, _ in MIGRATIONS)
    assert store.migrate() == []  # nothing left to apply
    log = store.frame("SELECT action FROM audit_log")["action"].to_list()
    assert log.count("migrate") == len(MIGRATIONS)


def test_accept_then_duplicate_then_resubmission(store, catalogue):
    frame = good_return(catalogue, GROUP, "2025-26-Q1")
    first = ingest(store, catalogue, frame, "2025-26-Q1")
    assert (first.status, first.version) == ("accepted", 1)
    rows = store.scalar("SELECT count(*) FROM observations")
    assert rows == frame.height

    again = ingest(store, catalogue, frame, "2025-26-Q1")
    assert again.status == "duplicate" and again.submission_id == first.submission_id
    assert store.scalar("SELECT count(*) FROM submissions") == 1
    assert store.scalar("SELECT count(*) FROM observations") == rows

    revised = set_cell(frame, 0, "numerator", str(int(frame["numerator"][0]) + 1))
    second = ingest(store, catalogue, revised, "2025-26-Q1")
    assert (second.status, second.version) == ("accepted", 2)
    statuses = store.frame("SELECT id, status, version FROM submissions ORDER BY id")
    assert statuses["status"].to_list() == ["superseded", "accepted"]
    # the earlier version stays in the history; only the current one feeds indicators
    assert store.scalar("SELECT count(*) FROM observations") == 2 * rows
    assert store.scalar("SELECT count(*) FROM current_observations") == rows
    num = store.scalar("SELECT numerator FROM current_observations WHERE source_row = 2")
    assert num == int(frame["numerator"][0]) + 1


def test_rejected_return_is_recorded_without_figures(store, catalogue):
    frame = set_cell(good_return(catalogue, GROUP, "2025-26-Q1"), 0, "numerator", "lots")
    result = ingest(store, catalogue, frame, "2025-26-Q1")
    assert result.status == "rejected" and result.errors == 1
    sub = store.frame("SELECT * FROM submissions").row(0, named=True)
    assert sub["status"] == "rejected" and len(sub["sha256"]) == 64
    assert store.scalar("SELECT count(*) FROM observations") == 0
    finding = store.frame("SELECT rule, row_number, column_name FROM findings").row(0)
    assert finding == ("C08", 2, "numerator")


def test_child_level_file_keeps_nothing_of_its_contents(store, catalogue):
    frame = set_cell(
        good_return(catalogue, GROUP, "2025-26-Q1"),
        1,
        "commentary",
        "Boy born 04/07/2015 at SW1A 1AA",
    )
    result = ingest(store, catalogue, frame, "2025-26-Q1")
    assert result.status == "rejected"
    assert store.scalar("SELECT contents_withheld FROM submissions") is True
    everything = " ".join(
        str(v) for t in TABLES for row in store.frame(f"SELECT * FROM {t}").rows() for v in row
    )
    assert "SW1A" not in everything and "04/07/2015" not in everything
    assert store.scalar("SELECT count(*) FROM observations") == 0


def test_warnings_need_explanations_which_carry_forward(store, catalogue):
    q1 = good_return(catalogue, GROUP, "2025-26-Q1")
    ingest(store, catalogue, q1, "2025-26-Q1")
    q2 = good_return(catalogue, GROUP, "2025-26-Q2")
    jump = set_cell(q2, 0, "numerator", q2["denominator"][0])  # 100%: a large change
    refused = ingest(store, catalogue, jump, "2025-26-Q2")
    assert refused.status == "rejected" and refused.warnings >= 1
    accepted = ingest(
        store, catalogue, jump, "2025-26-Q2", explanations={"W01": "New peer support service"}
    )
    # the same file again counts as a duplicate of the rejected attempt, so alter it
    assert accepted.status == "duplicate"
    jump2 = set_cell(jump, 1, "commentary", "Peer supporters started in July.")
    accepted = ingest(
        store, catalogue, jump2, "2025-26-Q2", explanations={"W01": "New peer support service"}
    )
    assert accepted.status == "accepted"
    stored = store.frame(
        "SELECT explanation FROM findings WHERE submission_id = ? AND rule = 'W01'",
        [accepted.submission_id],
    )
    assert stored["explanation"].to_list()[0] == "New peer support service"

    # a resubmission with the same warning needs no new explanation
    again = set_cell(jump2, 1, "commentary", "Peer supporters started in July; revised.")
    carried = ingest(store, catalogue, again, "2025-26-Q2")
    assert carried.status == "accepted" and carried.version == 2
    texts = store.frame(
        "SELECT explanation FROM findings WHERE submission_id = ? AND rule = 'W01'",
        [carried.submission_id],
    )["explanation"].to_list()
    assert texts and all(t == "New peer support service" for t in texts)


@pytest.mark.parametrize("step", ["submission", "observations", "indicator_values"])
def test_exception_halfway_leaves_store_as_before(store, catalogue, step):
    ingest(store, catalogue, good_return(catalogue, GROUP, "2025-26-Q1"), "2025-26-Q1")
    before = snapshot(store)

    def boom(name):
        if name == step:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        ingest(
            store,
            catalogue,
            good_return(catalogue, GROUP, "2025-26-Q2"),
            "2025-26-Q2",
            on_step=boom,
        )
    assert same(before, snapshot(store))
    after = ingest(store, catalogue, good_return(catalogue, GROUP, "2025-26-Q2"), "2025-26-Q2")
    assert after.status == "accepted"


@pytest.mark.slow  # a child process, killed
def test_process_killed_mid_ingest_leaves_store_as_before(store_at, catalogue):
    path = store_at("killed")
    with Store(path) as store:
        ingest(store, catalogue, good_return(catalogue, GROUP, "2025-26-Q1"), "2025-26-Q1")
        before = snapshot(store)
    script = textwrap.dedent(f"""
        import os, signal
        from metrics.core.catalogue import load_catalogue
        from metrics.store.connection import Store
        from metrics.store.reads.returns import history
        from tests.helpers import check, csv_bytes, good_return, ingest
        cat = load_catalogue()
        store = Store({str(path)!r})
        data = csv_bytes(good_return(cat, "HCP", "2025-26-Q2"))
        report = check(cat, data, "HCP", "2025-26-Q2", history=history(store, "HCP"))
        def die(step):
            if step == "observations":
                os.kill(os.getpid(), signal.SIGKILL)
        ingest(store, report, catalogue=cat, data=data, file_name="r.csv",
                     submitted_by="x", on_step=die)
        print("not reached")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -9, proc.stderr
    assert "not reached" not in proc.stdout
    with Store(path) as store:
        assert same(before, snapshot(store))
        result = ingest(store, catalogue, good_return(catalogue, GROUP, "2025-26-Q2"), "2025-26-Q2")
        assert result.status == "accepted"
        assert store.scalar("SELECT count(*) FROM submissions WHERE status='accepted'") == 2


@pytest.mark.file_only  # the DuckDB file itself
def test_a_demo_built_before_migration_3_is_still_known_as_a_demo(tmp_path, monkeypatch):
    """Databases from earlier versions of `outcomes demo` carry no demo mark; the migration
    that adds it reads the audit log, so the app still serves them with the role switcher."""
    import metrics.store.connection

    every = list(MIGRATIONS)
    for built_by_demo in (True, False):
        path = tmp_path / f"old_{built_by_demo}.duckdb"
        monkeypatch.setattr(
            metrics.store.connection, "MIGRATIONS", every[:2]
        )  # as version 2 made it
        with Store(path) as store:
            assert store.schema_version() == 2
            if built_by_demo:
                store.record_event(actor="demo", action="demo built")
        monkeypatch.setattr(metrics.store.connection, "MIGRATIONS", every)
        with Store(path) as store:
            assert store.schema_version() == max(v for v, _, _ in every)
            assert (store.info("demo") == "true") is built_by_demo

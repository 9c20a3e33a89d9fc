"""PostgreSQL as the shared record: several processes write to one database at once and get
the answers one would alone; each sees the others' writes; a write waits its turn a bounded
time; a server that cannot be reached is said plainly. (The store's own tests, the board's
and people's, run on both backends: the ``store_at`` fixture.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from metrics.core.access import Actor
from metrics.services import backup, restore, verify_audit_log
from metrics.store.connection import Store, StoreBusy, StoreError
from metrics.store.postgres import WRITES_TAKE_TURNS, postgres_sql, redacted
from tests.helpers import check, csv_bytes, good_return, ingest, set_cell
from tests.postgres import new_database

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]  # commands in child processes

GROUP = "HCP"
PERIODS = ["2025-26-Q1", "2025-26-Q2"]
ADMIN = Actor.operator("test")
INGEST = [sys.executable, "-m", "metrics.cli", "ingest"]


@pytest.fixture
def url(postgres_server):
    return new_database(postgres_server)


def outcomes(url: str, *args: str) -> subprocess.CompletedProcess:
    """An ``outcomes`` command in a process of its own, on the PostgreSQL database."""
    return subprocess.run(
        [sys.executable, "-m", "metrics.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "OUTCOMES_DATABASE_URL": url},
    )


def test_statements_take_postgresql_form():
    assert postgres_sql("SELECT 1", None) == "SELECT 1"
    assert (
        postgres_sql("DELETE FROM v WHERE list_contains(?, code) AND a LIKE '5%'", [["A"]])
        == "DELETE FROM v WHERE code = ANY(%s) AND a LIKE '5%%'"
    )
    assert redacted("postgresql://app:secret@db.internal:5433/outcomes") == (
        "postgresql://app@db.internal:5433/outcomes"
    )


def test_processes_submitting_the_same_returns_at_once_store_each_once(url, catalogue, tmp_path):
    """Three processes submit the same two returns at the same moment: each return is
    accepted once (version 1), the other submissions of it are duplicates, and the audit
    chain is whole: the same as one person submitting each file once."""
    files = []
    for period in PERIODS:
        path = tmp_path / f"{period}.csv"
        path.write_bytes(csv_bytes(good_return(catalogue, GROUP, period)))
        files.append((path, period))
    Store(url).close()  # the schema, made once

    def one_person(n: int) -> list[tuple[str, int, str]]:
        ran = []
        for path, period in files[n:] + files[:n]:  # each starts on a different file
            proc = outcomes(url, "ingest", str(path), "--group", GROUP, "--period", period)
            ran.append((period, proc.returncode, proc.stdout + proc.stderr))
        return ran

    with ThreadPoolExecutor(3) as pool:
        runs = [r for person in pool.map(one_person, range(3)) for r in person]
    assert all(code == 0 for _, code, _ in runs), runs
    for period in PERIODS:
        said = [out for p, _, out in runs if p == period]
        assert sum("accepted" in s.lower() for s in said) >= 1, said
    with Store(url) as store:
        rows = store.frame("SELECT period, version, status FROM submissions ORDER BY period").rows()
        assert rows == [(p, 1, "accepted") for p in PERIODS]
        counts = store.frame(
            "SELECT return_period, count(*) FROM current_observations GROUP BY 1 ORDER BY 1"
        ).rows()
        for period, n in counts:
            assert n == good_return(catalogue, GROUP, period).height
        entries, broken = verify_audit_log(ADMIN, store)
        assert broken is None and entries > 12 + 6


def test_a_write_in_another_process_is_seen_here(url, catalogue, tmp_path):
    """Two app processes share the database: what one stores, the other's pages show at
    their next read of the data version (no restart, no wait)."""
    with Store(url) as here:
        before = here.data_version()
        path = tmp_path / "r.csv"
        path.write_bytes(csv_bytes(good_return(catalogue, GROUP, PERIODS[0])))
        proc = outcomes(url, "ingest", str(path), "--group", GROUP, "--period", PERIODS[0])
        assert proc.returncode == 0, proc.stderr
        assert here.data_version() != before
        assert here.scalar("SELECT count(*) FROM submissions WHERE status = 'accepted'") == 1
        assert here.scalar("SELECT count(*) FROM indicator_values") > 0


def test_a_correction_in_another_process_replaces_the_values_seen_here(url, catalogue, tmp_path):
    frame = good_return(catalogue, GROUP, PERIODS[0])
    with Store(url) as here:
        for n, version in enumerate((frame, set_cell(frame, 0, "numerator", "1"))):
            path = tmp_path / f"v{n}.csv"
            path.write_bytes(csv_bytes(version))
            proc = outcomes(url, "ingest", str(path), "--group", GROUP, "--period", PERIODS[0])
            assert proc.returncode == 0, proc.stderr
            here.data_version()
        statuses = here.frame("SELECT version, status FROM submissions ORDER BY version").rows()
        assert statuses == [(1, "superseded"), (2, "accepted")]
        code = frame["indicator_code"][0]
        stored = here.scalar(
            "SELECT numerator FROM current_observations WHERE source_row = "
            "(SELECT min(source_row) FROM current_observations) AND indicator_code = ?",
            [code],
        )
        assert stored == 1


def _submit(store, catalogue, period: str, frame=None) -> None:
    frame = good_return(catalogue, GROUP, period) if frame is None else frame
    data = csv_bytes(frame)
    report = check(catalogue, frame, group=GROUP, period=period)
    ingest(store, report, catalogue=catalogue, data=data, file_name="r.csv", submitted_by="t")


def _same_rows(store, url: str, table: str, key: str) -> None:
    query = f"SELECT count(*), sum({key}) FROM {table}"
    with psycopg.connect(url) as conn:
        on_server = tuple(conn.execute(query).fetchone())
    count, total = store.frame(query).row(0)
    assert (count, total) == (on_server[0], pytest.approx(on_server[1])), table


def test_the_mirror_takes_only_the_rows_another_write_added(url, catalogue):
    """A return stored by another process adds rows to the tables that grow with history
    (observations, findings, audit entries): this process's mirror copies just those rows,
    not the whole table again, and holds what the server holds."""
    with Store(url) as writer, Store(url) as here:
        _submit(writer, catalogue, PERIODS[0])
        here.data_version()
        held = here.scalar("SELECT count(*) FROM observations")
        before = dict(here.copied)
        _submit(writer, catalogue, PERIODS[1])
        here.data_version()
        added = here.scalar("SELECT count(*) FROM observations") - held
        assert added > 0
        assert here.copied["observations"] - before["observations"] == added
        audit = here.copied["audit_log"] - before["audit_log"]
        assert 0 < audit < here.scalar("SELECT count(*) FROM audit_log")
        for table, key in (("observations", "submission_id"), ("audit_log", "id")):
            _same_rows(here, url, table, key)
        # the indicator values of the group's indicators were replaced: just those are copied
        ours = here.scalar(
            "SELECT count(*) FROM indicator_values WHERE indicator_code IN "
            "(SELECT DISTINCT indicator_code FROM observations)"
        )
        assert here.copied["indicator_values"] - before["indicator_values"] == ours
        _same_rows(here, url, "indicator_values", "value")
        # a table a write changed, not only added to, is copied whole
        assert here.copied["submissions"] - before.get("submissions", 0) == 2


def test_an_import_of_one_indicators_published_figures_copies_just_those(url, catalogue):
    from metrics.benchmarks import read_source
    from metrics.demo.published import DEMO_PUBLISHED
    from metrics.services import import_published

    def imported(store, code: str) -> None:
        src = catalogue.indicator[code].published
        frame = read_source(DEMO_PUBLISHED / src.file, src).frame
        import_published(ADMIN, store, catalogue, code, frame, source=src.file)

    with Store(url) as writer, Store(url) as here:
        imported(writer, "YJ03")
        imported(writer, "EY03")
        here.data_version()
        before = dict(here.copied)
        imported(writer, "YJ03")  # again, as when a new year is published
        here.data_version()
        assert here.copied["published_values"] - before["published_values"] == 815
        assert here.scalar("SELECT count(*) FROM published_values") == 2 * 815
        _same_rows(here, url, "published_values", "value")


def test_a_row_added_under_an_old_key_is_not_missed(url, catalogue):
    """Should a write add a row under a key the mirror already holds (not what the store's
    writes do), the count check finds it and the table is copied whole."""
    with Store(url) as writer, Store(url) as here:
        _submit(writer, catalogue, PERIODS[0])
        _submit(writer, catalogue, PERIODS[1])
        here.data_version()
        first = here.scalar("SELECT min(id) FROM submissions")
        with psycopg.connect(url) as conn:
            conn.execute(
                "INSERT INTO commentary VALUES (%s, 'BH01', '2025-26-Q1', 'added late')", [first]
            )
            conn.execute("UPDATE outcomes_changes SET n = n + 1 WHERE name = 'commentary'")
        here.data_version()
        assert here.scalar("SELECT count(*) FROM commentary WHERE text = 'added late'") == 1
        _same_rows(here, url, "commentary", "submission_id")


def test_a_write_waits_its_turn_a_bounded_time_across_processes(url, monkeypatch):
    """Another process holding the writers' turn (here, a transaction holding the advisory
    lock) makes a write wait, then give up saying so; nothing is written."""
    monkeypatch.setenv("OUTCOMES_WRITE_WAIT_SECONDS", "1")
    with Store(url) as store:
        entries = store.scalar("SELECT count(*) FROM audit_log")
        with psycopg.connect(url) as other, other.transaction():
            other.execute("SELECT pg_advisory_xact_lock(%s)", [WRITES_TAKE_TURNS])
            with pytest.raises(StoreBusy, match="still being saved after 1 seconds"):
                store.record_event(actor="test", action="waited")
        store.record_event(actor="test", action="once free")
        assert store.scalar("SELECT count(*) FROM audit_log") == entries + 1


def test_writers_in_threads_and_processes_keep_one_audit_chain(url):
    with Store(url) as store:

        def write(n: int) -> None:
            store.record_event(actor=f"thread {n}", action="something", detail={"n": n})

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(write, range(12)))
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "metrics.cli", "users", "add", f"iss|{n}", "--name", "P"],
                env={**os.environ, "OUTCOMES_DATABASE_URL": url},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for n in range(3)
        ]
        assert all(p.wait(120) == 0 for p in procs)
        store.data_version()
        entries, broken = verify_audit_log(ADMIN, store)
        assert broken is None
        assert entries == store.scalar("SELECT count(*) FROM audit_log") > 12 + 3
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'something'") == 12
        assert store.scalar("SELECT count(*) FROM users") == 3


def test_a_server_that_cannot_be_reached_is_said_plainly():
    with pytest.raises(StoreError, match="could not be reached") as caught:
        Store("postgresql://app:secret@127.0.0.1:1/outcomes")
    assert "secret" not in str(caught.value)
    assert "OUTCOMES_DATABASE_URL" in str(caught.value)


def test_a_backup_put_back_on_postgresql_shows_the_same_figures(url, demo_db, catalogue, tmp_path):
    """The demo loaded into PostgreSQL, backed up, changed, then restored from the backup:
    the figures and the audit chain are as they were at the backup; what the database held
    before the restore is kept in a file beside."""
    restore(ADMIN, demo_db, url, aside=tmp_path / "unused.duckdb")
    assert not (tmp_path / "unused.duckdb").exists()  # an empty database: nothing to keep
    with Store(url) as store:
        figures = store.frame("SELECT * FROM indicator_values ORDER BY ALL")
        assert figures.height > 1000
        assert figures.equals(
            Store(demo_db, read_only=True).frame("SELECT * FROM indicator_values ORDER BY ALL")
        )
        backup(ADMIN, store, tmp_path / "backup.duckdb")
        path = tmp_path / "r.csv"
        frame = good_return(catalogue, "YJS", catalogue.last_demo_quarter().code)
        path.write_bytes(csv_bytes(set_cell(frame, 0, "numerator", "1")))
    proc = outcomes(
        url, "ingest", str(path), "--group", "YJS", "--period", catalogue.last_demo_quarter().code
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with Store(url) as store:
        assert not store.frame("SELECT * FROM indicator_values ORDER BY ALL").equals(figures)
        restore(ADMIN, tmp_path / "backup.duckdb", url, aside=tmp_path / "before.duckdb")
        store.data_version()  # as a page does first: this process copies what changed
        assert store.frame("SELECT * FROM indicator_values ORDER BY ALL").equals(figures)
        _entries, broken = verify_audit_log(ADMIN, store)
        assert broken is None
        last = store.scalar("SELECT max(id) FROM audit_log")
        store.record_event(actor="test", action="after the restore")  # the numbers carry on
        assert store.scalar("SELECT max(id) FROM audit_log") == last + 1
        restored_submissions = store.scalar("SELECT max(id) FROM submissions")
    with Store(tmp_path / "before.duckdb", read_only=True) as before:  # kept: with the return
        assert before.scalar("SELECT max(id) FROM submissions") == restored_submissions + 1


def test_writers_killed_mid_ingest_leave_each_return_whole_or_absent(url, catalogue, tmp_path):
    """Four processes submit four returns at once; two of them are killed (SIGKILL) while
    they hold the writers' turn in the middle of storing their return (seen from the
    server: the advisory lock held, a statement of the ingest running). Every return is then
    whole or absent (never half stored, never twice), the audit chain is whole, and
    submitting them all again stores each once."""
    quarters = [f"2025-26-Q{n}" for n in range(1, 5)]
    files = []
    for period in quarters:
        path = tmp_path / f"{period}.csv"
        path.write_bytes(csv_bytes(good_return(catalogue, GROUP, period)))
        files.append((path, period))
    Store(url).close()
    procs = [
        subprocess.Popen(
            [*INGEST, str(path), "--group", GROUP, "--period", period],
            env={**os.environ, "OUTCOMES_DATABASE_URL": url, "PGAPPNAME": f"writer-{n}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n, (path, period) in enumerate(files)
    ]
    doomed, killed = {0, 2}, set()
    with psycopg.connect(url, autocommit=True) as watcher:
        deadline = time.monotonic() + 120
        while doomed - killed and time.monotonic() < deadline:
            if all(procs[n].poll() is not None for n in doomed - killed):
                break
            writing = watcher.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND a.query ~* '(submissions|observations|findings|indicator_values)'"
            ).fetchall()
            for (name,) in writing:
                n = int(name.removeprefix("writer-"))
                if n in doomed and n not in killed:
                    procs[n].send_signal(signal.SIGKILL)
                    killed.add(n)
            time.sleep(0.005)
    for proc in procs:
        proc.wait(120)
    assert killed, "no writer was caught in the middle of storing its return"
    assert all(procs[n].returncode == -signal.SIGKILL for n in killed)
    assert all(procs[n].returncode == 0 for n in (1, 3))

    def whole(store: Store) -> dict[str, int]:
        """Each return's accepted versions; checks every stored one is whole."""
        store.data_version()
        orphans = store.scalar(
            "SELECT count(*) FROM observations o LEFT JOIN submissions s "
            "ON s.id = o.submission_id WHERE s.id IS NULL"
        )
        assert orphans == 0
        stored = dict(
            store.frame(
                "SELECT period, count(*) FROM submissions WHERE status = 'accepted' GROUP BY 1"
            ).rows()
        )
        for period in stored:
            rows = store.scalar(
                "SELECT count(*) FROM current_observations WHERE return_period = ?", [period]
            )
            assert rows == good_return(catalogue, GROUP, period).height, period
        assert verify_audit_log(ADMIN, store)[1] is None
        return stored

    with Store(url) as store:
        stored = whole(store)
        assert set(stored.values()) <= {1}
        assert {quarters[1], quarters[3]} <= set(stored)  # the writers left alone
    for path, period in files:
        proc = outcomes(url, "ingest", str(path), "--group", GROUP, "--period", period)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    with Store(url) as store:
        assert whole(store) == dict.fromkeys(quarters, 1)
        versions = store.frame("SELECT DISTINCT version FROM submissions WHERE version > 1")
        assert versions.is_empty()  # no return stored twice


def test_the_command_line_takes_the_database_url_as_db(url):
    Store(url).close()
    env = {k: v for k, v in os.environ.items() if k != "OUTCOMES_DATABASE_URL"}
    proc = subprocess.run(
        [sys.executable, "-m", "metrics.cli", "audit", "verify", "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "match their hash chain" in proc.stdout

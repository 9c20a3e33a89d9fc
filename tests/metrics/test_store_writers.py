"""Writers at once: a newer version accepted meanwhile, the same file twice at once, a write
that has to wait, a full disk, a damaged file, and the database held by another process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress

import duckdb
import pytest

from metrics.cli import main
from metrics.store.connection import Store, StoreBusy, StoreError
from metrics.store.reads.returns import current_submission, history
from tests.helpers import check, csv_bytes, good_return, ingest, set_cell
from tests.metrics.test_store import GROUP, TABLES, same, snapshot

pytestmark = pytest.mark.slow  # commands in child processes, a real full disk

PERIOD = "2025-26-Q1"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "test.duckdb") as s:
        yield s


def checked(store, catalogue, frame):
    data = csv_bytes(frame)
    return data, check(catalogue, data, GROUP, PERIOD, history=history(store, GROUP))


def test_newer_version_accepted_meanwhile_is_reported(store, catalogue):
    frame = good_return(catalogue, GROUP, PERIOD)
    mine = set_cell(frame, 0, "numerator", str(int(frame["numerator"][0]) + 1))
    based_on = current_submission(store, GROUP, PERIOD)  # both people check against none
    theirs_data, theirs = checked(store, catalogue, frame)
    mine_data, report = checked(store, catalogue, mine)

    first = ingest(
        store,
        theirs,
        catalogue=catalogue,
        data=theirs_data,
        file_name="a.csv",
        submitted_by="Ann Lead",
        based_on=based_on,
    )
    assert (first.status, first.version) == ("accepted", 1)
    before = snapshot(store)
    second = ingest(
        store,
        report,
        catalogue=catalogue,
        data=mine_data,
        file_name="b.csv",
        submitted_by="Bob Deputy",
        based_on=based_on,
    )
    assert second.status == "conflict"
    assert "version 1" in second.message and "Ann Lead" in second.message
    after = snapshot(store)
    assert all(before[t].equals(after[t]) for t in TABLES if t != "audit_log")  # nothing stored
    assert after["audit_log"].height == before["audit_log"].height + 1
    assert store.scalar("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == (
        "submission conflict"
    )
    # checked again against the new current version, it replaces it
    again = ingest(
        store,
        report,
        catalogue=catalogue,
        data=mine_data,
        file_name="b.csv",
        submitted_by="Bob Deputy",
        based_on=current_submission(store, GROUP, PERIOD),
    )
    assert (again.status, again.version) == ("accepted", 2)


def test_same_file_submitted_twice_at_once_is_stored_once(store, catalogue):
    data, report = checked(store, catalogue, good_return(catalogue, GROUP, PERIOD))
    results = []
    gate = threading.Barrier(4)

    def submit(n: int) -> None:
        gate.wait()
        results.append(
            ingest(
                store,
                report,
                catalogue=catalogue,
                data=data,
                file_name="r.csv",
                submitted_by=f"p{n}",
            ).status
        )

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert store.scalar("SELECT count(*) FROM submissions") == 1


def test_a_write_waits_a_bounded_time_then_says_so(store, catalogue, monkeypatch):
    monkeypatch.setenv("OUTCOMES_WRITE_WAIT_SECONDS", "1")
    data, report = checked(store, catalogue, good_return(catalogue, GROUP, PERIOD))
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.transaction():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    told: list[str] = []
    started = time.monotonic()
    with pytest.raises(StoreBusy, match="still being saved after 1 seconds"):
        ingest(
            store,
            report,
            catalogue=catalogue,
            data=data,
            file_name="r.csv",
            submitted_by="x",
            on_wait=told.append,
        )
    assert 0.9 < time.monotonic() - started < 9  # gave up before the holder let go (10 s)
    assert told and "waiting up to 1 seconds" in told[0]
    release.set()
    holder.join()
    # once the other write is done, the same ingest goes through
    ok = ingest(store, report, catalogue=catalogue, data=data, file_name="r.csv", submitted_by="x")
    assert ok.status == "accepted"


@pytest.mark.file_only  # the DuckDB file itself
def test_full_disk_mid_ingest_is_a_clear_error_and_changes_nothing(store, catalogue):
    data, report = checked(store, catalogue, good_return(catalogue, GROUP, PERIOD))
    before = snapshot(store)

    def disk_full(step: str) -> None:
        if step == "observations":
            raise duckdb.IOException('Could not write file "x.wal": No space left on device')

    with pytest.raises(StoreError, match=r"disk holding .* is full") as info:
        ingest(
            store,
            report,
            catalogue=catalogue,
            data=data,
            file_name="r.csv",
            submitted_by="x",
            on_step=disk_full,
        )
    assert "Traceback" not in str(info.value)
    assert same(before, snapshot(store))


@pytest.mark.file_only  # the DuckDB file itself
def test_damaged_database_is_a_clear_error_with_exit_3(tmp_path, capsys):
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(b"DUCK" + bytes(range(256)) * 64)
    with pytest.raises(StoreError, match=r"is damaged"):
        Store(damaged)
    code = main(["export", "--db", str(damaged), "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 3 and str(damaged) in err and "Traceback" not in err


@contextmanager
def holding(db, *, seconds: float | None, as_app: bool):
    """Another process holding the database file open read-write, named like the app (its
    command line says streamlit) or like another command. It lets go after ``seconds``, or,
    when ``seconds`` is None, when the caller calls what this yields."""
    wait = f"time.sleep({seconds})" if seconds is not None else "sys.stdin.readline()"
    script = (
        f"import sys, time; from metrics.store.connection import Store; s = Store({str(db)!r}); "
        f"print('ready', flush=True); {wait}; s.close()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, *(["streamlit", "run"] if as_app else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def release() -> None:
        try:
            holder.stdin.write("go\n")
            holder.stdin.flush()
        except BrokenPipeError:  # it has already let go
            pass

    try:
        assert holder.stdout.readline().strip() == "ready"
        yield release
    finally:
        if as_app:
            holder.kill()
        else:
            release()
        holder.wait(timeout=60)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metrics.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.file_only  # DuckDB's one process per file
def test_cli_names_the_app_holding_the_database(tmp_path, catalogue):
    db = tmp_path / "held.duckdb"
    Store(db).close()
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(good_return(catalogue, GROUP, PERIOD)))
    with holding(db, seconds=120, as_app=True):
        for command in (
            ["validate", str(path), "--group", GROUP, "--period", PERIOD],
            ["ingest", str(path), "--group", GROUP, "--period", PERIOD],
            ["export", "--out", str(tmp_path / "x.csv")],
        ):
            started = time.monotonic()
            done = cli(*command, "--db", str(db))
            assert done.returncode == 3, done.stderr
            assert "in use by the app" in done.stderr and "stop the app" in done.stderr
            assert "Traceback" not in done.stderr
            assert time.monotonic() - started < 60  # said at once, no waiting on the app


@pytest.mark.file_only  # DuckDB's one process per file
def test_a_second_command_waits_for_the_first_then_runs(tmp_path, catalogue):
    """Two commands writing at once: the second waits (bounded) instead of failing. The first
    lets go only once the second has said it is waiting, so a slow machine cannot let the
    second find the file free."""
    db = tmp_path / "busy.duckdb"
    Store(db).close()
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(good_return(catalogue, GROUP, PERIOD)))
    command = ["--group", GROUP, "--period", PERIOD, "--db", str(db)]
    with holding(db, seconds=None, as_app=False) as release:
        second = subprocess.Popen(
            [sys.executable, "-m", "metrics.cli", "ingest", str(path), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        said: list[str] = []
        for line in second.stderr:
            said.append(line)
            if "in use by another command; waiting" in line:
                break
        release()
        out, rest = second.communicate(timeout=300)
    assert any("in use by another command; waiting" in line for line in said), said
    assert second.returncode == 0, "".join(said) + rest
    assert "Return accepted" in out


def cli_in_process(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.fixture
def small_disk(tmp_path):
    """A real filesystem of 8 MiB (tmpfs, mounted for the test), so the disk really fills."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.decode()[:200]}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.file_only  # the DuckDB file itself
def test_a_really_full_disk_is_a_clear_error_with_exit_3_and_loses_nothing(
    small_disk, tmp_path, catalogue, capsys
):
    db = small_disk / "outcomes.duckdb"
    first, second = tmp_path / "q1.csv", tmp_path / "q2.csv"
    first.write_bytes(csv_bytes(good_return(catalogue, GROUP, "2025-26-Q1")))
    second.write_bytes(csv_bytes(good_return(catalogue, GROUP, "2025-26-Q2")))
    args = ["--group", GROUP, "--db", str(db)]
    assert cli_in_process(capsys, "ingest", str(first), *args, "--period", "2025-26-Q1")[0] == 0
    with Store(db) as s:
        before = snapshot(s)
    filler = small_disk / "filler"
    with filler.open("wb", buffering=0) as out, suppress(OSError):  # fill the disk
        while True:
            out.write(b"\0" * 65536)
    code, err = cli_in_process(capsys, "ingest", str(second), *args, "--period", "2025-26-Q2")
    assert code == 3, err
    assert "is full" in err and "Free some space" in err and "Traceback" not in err
    filler.unlink()
    with Store(db) as s:  # nothing half-written, and the next try goes through
        assert same(before, snapshot(s))
    assert cli_in_process(capsys, "ingest", str(second), *args, "--period", "2025-26-Q2")[0] == 0


def one_return_db(folder, catalogue):
    """A real database holding one accepted return (HCP 2025-26 Q1), stored by the CLI."""
    db = folder / "outcomes.duckdb"
    path = folder / "q1.csv"
    path.write_bytes(csv_bytes(good_return(catalogue, GROUP, "2025-26-Q1")))
    command = ["ingest", str(path), "--group", GROUP, "--period", "2025-26-Q1", "--db", str(db)]
    if main(command) != 0:
        raise RuntimeError("the test database's return was not accepted")
    return db


def damaged_copies(db, folder):
    """Copies of ``db`` with 64 bytes overwritten at the start of each of its headers and
    blocks (DuckDB writes three 4 KiB headers, then blocks of 256 KiB)."""
    with duckdb.connect(str(db)) as con:  # everything written is in the file, not its log
        con.execute("CHECKPOINT")
    data = db.read_bytes()
    starts = [0, 4096, 8192, *range(12288, len(data), 262144)]
    for start in starts:
        copy = bytearray(data)
        copy[start + 8 : start + 72] = bytes((i * 37 + 11) % 256 for i in range(64))
        path = folder / f"damaged-at-{start}.duckdb"
        path.write_bytes(bytes(copy))
        yield start, path


@pytest.mark.file_only  # the DuckDB file itself
def test_a_damaged_block_anywhere_is_a_clear_error_with_exit_3(tmp_path, catalogue, capsys):
    """Whichever header or block is damaged, a command either works (the block was not
    needed) or says the database is damaged and exits 3: never a fault, never a traceback."""
    db = one_return_db(tmp_path, catalogue)
    capsys.readouterr()
    outcomes = {}
    for start, damaged in damaged_copies(db, tmp_path):
        code, err = cli_in_process(
            capsys, "export", "--db", str(damaged), "--out", str(tmp_path / "x.csv")
        )
        outcomes[start] = code
        assert code in (0, 3), (start, err)
        assert "Traceback" not in err and "fault in this program" not in err
        if code == 3:
            assert f"The database {damaged} is damaged" in err and "backup" in err
    # the file's headers are always read; damage in a data block is found when it is read
    assert outcomes[0] == outcomes[4096] == 3
    assert any(code == 3 for start, code in outcomes.items() if start > 12288), outcomes

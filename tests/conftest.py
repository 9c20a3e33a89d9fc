"""Shared fixtures: paths to the reference data, a catalogue, temporary stores."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TEST_CLOCK = "2026-11-23T10:00"
"""Every store a test opens without a clock of its own, and every app a test serves, tells
this time (a Monday): no test depends on the day it runs. The clock tier of ``make test``
runs the suite with the process clock moved years either way to prove it."""
os.environ["OUTCOMES_CLOCK"] = TEST_CLOCK

CLOCK_SHIFT_DAYS = int(os.environ.get("OUTCOMES_TEST_CLOCK_SHIFT_DAYS") or 0)
"""The clock tiers (``tests/tiers.py``) move this process's wall clock by this many days
(time-machine: ``datetime``, ``date`` and ``time`` as Python code sees them, ticking on from
there). A test that read the real calendar instead of the one clock would fail here."""
if CLOCK_SHIFT_DAYS:
    import time_machine

    _SHIFTED = time_machine.travel(datetime.now(UTC) + timedelta(days=CLOCK_SHIFT_DAYS), tick=True)
    _SHIFTED.start()


if os.environ.get("OUTCOMES_TEST_BACKEND") == "postgresql":
    from tests import on_postgresql

    on_postgresql.install()
    _on_files = on_postgresql.paused
else:
    _on_files = contextlib.nullcontext


def _scan_components_once() -> None:
    """AppTest looks through every installed distribution's metadata for Streamlit
    components on each run (about 0.1 s of a 0.15 s overview render here); what is installed
    does not change during a test run, so the scan is made once per process. A served app
    scans once at start, so the browser tests are not affected."""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(
        manifest_scanner.scan_component_manifests
    )


_scan_components_once()


def pytest_collection_modifyitems(config, items) -> None:
    """Tests that need the demo database run after all the others (order otherwise kept), so
    that ``make test`` can build the demo beside the first tests instead of before them.
    With ``OUTCOMES_TEST_ORDER=reverse`` (a tier of ``make test``) each of the two parts
    runs from its last test to its first."""
    if os.environ.get("OUTCOMES_TEST_ORDER") == "reverse":
        items.reverse()
    items.sort(key=lambda item: "demo_db" in getattr(item, "fixturenames", ()))


def pytest_report_header(config) -> str:
    return (
        f"wall clock {date.today()} (moved {CLOCK_SHIFT_DAYS:+d} days); "
        f"tests tell the time by {TEST_CLOCK}"
    )


REFERENCE = Path(os.environ.get("OUTCOMES_REFERENCE_DIR", ROOT.parent / "shared" / "reference"))


def reference_file(*parts: str) -> Path:
    """A file of ../shared/reference, or skip the test where it is absent."""
    path = REFERENCE.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"reference file {path} not present")
    return path


@pytest.fixture(scope="session")
def catalogue():
    from metrics.core.catalogue import load_catalogue

    return load_catalogue()


DEMO_CACHE = ROOT / ".cache" / "demo"
DEMO_INPUTS = ("metrics", "data/catalogue", "data/demo", "expectations")


def demo_key() -> str:
    """A hash of everything the demo database is built from: the code, the catalogue, the demo
    inputs and the validation rules. A cached demo is reused only while this is unchanged."""
    digest = hashlib.sha256()
    for top in DEMO_INPUTS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cached_demo(catalogue) -> Path:
    """The demo database for the code as it stands, built through the real pipeline the first
    time and kept in ``.cache/demo/`` under its inputs' hash (test workers take turns)."""
    DEMO_CACHE.mkdir(parents=True, exist_ok=True)
    target = DEMO_CACHE / f"demo-{demo_key()}.duckdb"
    with open(DEMO_CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            from metrics.demo.build import build_demo

            for old in DEMO_CACHE.glob("demo-*.duckdb"):
                old.unlink()  # built from inputs that have changed since
            with _on_files():
                build_demo(target, catalogue)
    return target


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, catalogue) -> Path:
    """A copy of the demo database for this test session (read it; copy it again to write)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    shutil.copy(cached_demo(catalogue), path)
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo database, for tests that write."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, target)
    return target


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server started for this test session (tests/postgres.py)."""
    from tests.postgres import cluster, make_template

    with cluster() as url:
        make_template(url)
        yield url


BACKENDS = ("duckdb", pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.postgresql]))
"""The stores the store's tests run on; PostgreSQL's (a server started for the session) in
``make test``, not in ``make test-fast``."""


@pytest.fixture(params=BACKENDS)
def store_at(request, tmp_path):
    """Where a new store is, on each backend in turn: a DuckDB file, or a new database on
    the PostgreSQL server the tests started. Call it for a location to open ``Store`` on."""

    if request.param == "duckdb" and os.environ.get("OUTCOMES_TEST_BACKEND") == "postgresql":
        pytest.skip("every store is on PostgreSQL in this run: the file's run is the other tier")

    def location(name: str = "test") -> Path | str:
        if request.param == "duckdb":
            return tmp_path / f"{name}.duckdb"
        from tests.postgres import new_database

        return new_database(request.getfixturevalue("postgres_server"))

    return location

"""An app process killed (SIGKILL) in the middle of storing a return a person submitted
through its page: the return is whole or absent, never half stored; the launcher starts the
process again; the person submits again and the return is stored once, the audit chain
whole."""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import suppress
from urllib.request import urlopen

import psycopg
import pytest

from metrics.core.access import Actor
from metrics.services import Store, restore, verify_audit_log
from tests.browser.conftest import screenshot
from tests.browser.test_paths import open_page, upload
from tests.browser.test_replicas import replicas_running
from tests.helpers import csv_bytes, good_return, set_cell
from tests.postgres import new_database

pytestmark = [pytest.mark.browser, pytest.mark.postgresql]  # on PostgreSQL already

STORING = (
    "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = %s "
    "AND a.query ~* '(submissions|observations|findings|indicator_values|commentary)'"
)


def _kill_when_storing(url: str, port: int, pid: int, stop: threading.Event, done: dict) -> None:
    """Watch the server; SIGKILL the app process ``pid`` once it holds the writers' turn
    with a statement of the ingest running."""
    with psycopg.connect(url, autocommit=True) as watcher:
        while not stop.is_set():
            if watcher.execute(STORING, [f"outcomes-app-{port}"]).fetchone():
                os.kill(pid, signal.SIGKILL)
                done["killed"] = time.monotonic()
                return
            time.sleep(0.002)


def _answering(port: int) -> bool:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with suppress(OSError), urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
            return True
        time.sleep(0.5)
    return False


def test_an_app_process_killed_while_storing_an_upload_loses_nothing(
    postgres_server, demo_db, tmp_path, page, catalogue
):
    url = new_database(postgres_server)
    restore(Actor.operator("test"), demo_db, url, aside=tmp_path / "unused.duckdb")
    group, period = "YJS", catalogue.last_demo_quarter().code  # the late group's return
    good = good_return(catalogue, group, period)
    yj02 = good["indicator_code"].to_list().index("YJ02")
    path = tmp_path / "yjs.csv"
    path.write_bytes(csv_bytes(set_cell(good, yj02, "numerator", good["denominator"][yj02])))
    with replicas_running(url, tmp_path) as state:
        port, pid = next(iter(state["apps"].items()))
        port = int(port)
        server = {"url": f"http://127.0.0.1:{port}"}
        open_page(page, server, f"submit?as=lead:{group}&group={group}&quarter={period}")
        upload(page, path, "Checked: 0 errors, 1 warning")
        page.locator("textarea").first.fill("Checked: the whole cohort re-offended.")
        stop, done = threading.Event(), {}
        watcher = threading.Thread(target=_kill_when_storing, args=(url, port, pid, stop, done))
        watcher.start()
        page.get_by_role("button", name="Submit return").click()
        watcher.join(60)
        stop.set()
        assert "killed" in done, "the app process was not caught storing the return"

        with Store(url) as store:  # whole or absent, never half
            accepted = store.frame(
                "SELECT id, version FROM submissions WHERE group_code = ? AND period = ? "
                "AND status = 'accepted'",
                [group, period],
            )
            assert accepted.height <= 1
            if accepted.height:
                rows = store.scalar(
                    "SELECT count(*) FROM observations WHERE submission_id = ?",
                    [accepted["id"][0]],
                )
                assert rows == good.height
            orphans = store.scalar(
                "SELECT count(*) FROM observations o LEFT JOIN submissions s "
                "ON s.id = o.submission_id WHERE s.id IS NULL"
            )
            assert orphans == 0
            assert verify_audit_log(Actor.operator("test"), store)[1] is None

        assert _answering(port), "the launcher did not start the killed process again"
        open_page(page, server, f"submit?as=lead:{group}&group={group}&quarter={period}")
        upload(page, path, "Checked: 0 errors")
        if page.locator("textarea").count():  # the warning, when checked against no version
            page.locator("textarea").first.fill("Checked: the whole cohort re-offended.")
        page.get_by_role("button", name="Submit return").click()
        # absent before: stored now; stored before the kill: the same file is a duplicate
        said = "Return accepted" if not accepted.height else "already received as submission"
        page.get_by_text(said).wait_for(timeout=60_000)
        screenshot(page, "replica_resubmitted_after_kill")
        with Store(url) as store:
            versions = store.frame(
                "SELECT version, status FROM submissions WHERE group_code = ? AND period = ? "
                "AND status <> 'rejected'",
                [group, period],
            ).rows()
            assert versions == [(1, "accepted")]
            assert verify_audit_log(Actor.operator("test"), store)[1] is None

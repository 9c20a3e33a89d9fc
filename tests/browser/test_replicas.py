"""Two app processes (replicas) sharing one PostgreSQL database behind HAProxy, as ``make
replicas`` starts them (``deploy/replicas.py``), driven in Chromium: a return accepted
through one is on the other's pages at once, as is another process's write; through the
proxy a browser keeps to one process, and when that process is killed its page carries on
on the other."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from urllib.request import urlopen

import pytest

from deploy.postgres import free_port
from metrics.core.access import Actor
from metrics.core.clock import clock_from_environment
from metrics.core.periods import period_label
from metrics.demo.year import CHAIR
from metrics.services import Store, add_meeting, restore
from tests.browser.conftest import screenshot
from tests.browser.test_paths import open_page, upload
from tests.conftest import ROOT
from tests.helpers import csv_bytes, good_return, set_cell
from tests.postgres import new_database

pytestmark = [pytest.mark.browser, pytest.mark.postgresql]  # on PostgreSQL already


@contextmanager
def replicas_running(url: str, folder: Path, *options: str, port: int | None = None):
    """``deploy/replicas.py`` (two app processes behind HAProxy, on ``port``) on the
    database at ``url`` until the block ends: its state (the proxy's port, each process's
    port and id)."""
    state = folder / "state.json"
    launch = ["--port", str(port or free_port()), "--state", str(state), *options]
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.replicas", *launch],
        cwd=ROOT,
        env={**os.environ, "OUTCOMES_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not state.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.3)
    if not state.exists():
        proc.kill()
        pytest.fail(f"the replicas did not start: {proc.stdout.read()}")
    try:
        yield {**json.loads(state.read_text()), "database": url}
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def launched(postgres_server, demo_db, tmp_path_factory):
    """The demo loaded into a new PostgreSQL database, served by ``deploy/replicas.py``."""
    url = new_database(postgres_server)
    folder = tmp_path_factory.mktemp("replicas")
    restore(Actor.operator("test"), demo_db, url, aside=folder / "unused.duckdb")
    with replicas_running(url, folder) as state:
        yield state


@pytest.fixture(scope="module")
def replicas(launched):
    """Each app process by its own address, and the database."""
    one, other = ({"url": f"http://127.0.0.1:{p}"} for p in launched["apps"])
    return one, other, launched["database"]


def card_text(page, code: str) -> str:
    card = (
        page.locator("[data-testid='stVerticalBlock']")
        .filter(has=page.locator("h3", has_text=code))
        .last
    )
    return card.inner_text()


def test_a_return_accepted_through_one_replica_is_on_the_others_pages(
    replicas, page, catalogue, tmp_path
):
    one, other, _url = replicas
    group, period = "YJS", catalogue.last_demo_quarter().code  # the late group's return
    good = good_return(catalogue, group, period)
    yj02 = good["indicator_code"].to_list().index("YJ02")
    jump = set_cell(good, yj02, "numerator", good["denominator"][yj02])  # 100%: a jump
    path = tmp_path / "yjs.csv"
    path.write_bytes(csv_bytes(jump))

    open_page(page, other)  # the board's overview on the other replica, before
    assert f"100.0% in {period_label(period)}" not in card_text(page, "YJ02")

    open_page(page, one, f"submit?as=lead:{group}&group={group}&quarter={period}")
    upload(page, path, "Checked: 0 errors, 1 warning")
    boxes = page.locator("textarea")
    boxes.first.wait_for()
    boxes.first.fill("Checked with the case management system: the whole cohort re-offended.")
    page.get_by_role("button", name="Submit return").click()
    page.get_by_text("Return accepted").wait_for(timeout=60_000)

    open_page(page, other)
    page.locator("h3", has_text="YJ02").first.wait_for()
    assert f"100.0% in {period_label(period)}" in card_text(page, "YJ02")
    status = page.locator("[data-testid='stTable'] tr").filter(has_text="Youth Justice")
    assert "Submitted" in status.first.inner_text()
    screenshot(page, "replica_b_after_upload_on_a")


def test_a_meeting_added_by_a_third_process_is_on_both_replicas(replicas, page):
    """Another process (here the test's own: the chair's change, made through the services on
    a store of its own) writes to the shared database while both replicas run: each shows
    the new meeting as the board's next."""
    one, other, url = replicas
    soon = clock_from_environment().today() + timedelta(days=14)  # before the demo's next
    with Store(url) as store:
        add_meeting(
            CHAIR, store, held_on=soon, kind="ordinary", title="Extraordinary board on replicas"
        )
    for served in (one, other):
        open_page(page, served, "overview?as=board")
        page.get_by_text("Next meeting: Extraordinary board on replicas").first.wait_for()


def test_through_the_proxy_a_browser_keeps_to_one_process_and_survives_its_loss(
    launched, page, context
):
    proxy = {"url": f"http://127.0.0.1:{launched['port']}"}
    open_page(page, proxy, "overview?as=board")
    cookie = {c["name"]: c["value"] for c in context.cookies()}["outcomes_replica"]
    ports = list(launched["apps"])
    held_by = ports[int(cookie.removeprefix("app")) - 1]
    for _ in range(3):  # the same process, page after page
        open_page(page, proxy, "trends?as=board")
        assert {c["name"]: c["value"] for c in context.cookies()}["outcomes_replica"] == cookie

    killed = launched["apps"][held_by]
    os.kill(killed, signal.SIGKILL)  # the process holding the session
    page.get_by_role("heading", name="Trends").first.wait_for()
    open_page(page, proxy, "overview?as=board")  # on the other process, or its successor
    page.get_by_role("heading", name="Board overview").first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "replica_after_its_process_was_killed")
    # the launcher has started the killed process again, on its port
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with suppress(OSError), urlopen(f"http://127.0.0.1:{held_by}/_stcore/health", timeout=2):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"no app process answers on port {held_by} after the kill")
    assert (
        not Path(f"/proc/{killed}").exists()
        or "zombie" in Path(f"/proc/{killed}/status").read_text()
    )

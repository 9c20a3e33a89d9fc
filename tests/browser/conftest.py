"""Real-browser tests: `streamlit run` on a free localhost port, driven by Playwright in
Debian's Chromium. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from deploy.postgres import free_port
from tests.conftest import ROOT

CHROMIUM = os.environ.get("OUTCOMES_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it")
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(autouse=True)
def nothing_leaves_the_host(request):
    """Every page any browser test opens asks nothing of any host but the app's own."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    seen: list[str] = []
    page.context.on("request", lambda r: seen.append(r.url))
    yield seen
    elsewhere = [u for u in seen if urlsplit(u).hostname not in (None, "127.0.0.1", "localhost")]
    elsewhere = [u for u in elsewhere if not u.startswith(("data:", "blob:", "about:"))]
    assert seen and not elsewhere, elsewhere


@contextmanager
def serve(
    db: Path,
    log_folder: Path,
    *,
    port: int | None = None,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
):
    """``streamlit run`` the app over ``db`` on a free localhost port until the block ends:
    ``dashboard/server.py``, as ``make run`` serves it (the pages and the open data API)."""
    port = port or free_port()
    env = {
        **os.environ,
        "OUTCOMES_DB": str(db),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **(env or {}),
    }
    if os.environ.get("OUTCOMES_TEST_BACKEND") == "postgresql" and "OUTCOMES_DATABASE_URL" not in (
        env or {}
    ):  # the app on the PostgreSQL database that stands for the file (tests/on_postgresql.py)
        from tests.on_postgresql import url_for

        env["OUTCOMES_DATABASE_URL"] = url_for(db)
    log = open(log_folder / "streamlit.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "server.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start; see {log.name}")
    try:
        yield {"url": url, "db": db}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    """The app served over HTTP on its own copy of the demo database."""
    db = tmp_path_factory.mktemp("served") / "demo.duckdb"
    shutil.copy(demo_db, db)
    with serve(db, tmp_path_factory.mktemp("log")) as served:
        yield served


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


APP_SETTLED = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app !== null
        && app.getAttribute("data-test-script-state") === "notRunning"
        && app.getAttribute("data-test-connection-state") === "CONNECTED"
        && !document.querySelector("[data-testid='stStatusWidget']")
        && !document.querySelector("[data-stale='true']")
        && !document.querySelector("[data-testid^='stSkeleton'], [data-testid='stAppSkeleton']")
        && document.querySelector("h1") !== null;
}"""
"""Streamlit has finished running the page's script, is connected, and shows nothing left
over from the run before, and no placeholder of an element still to come (every page has
an h1 title)."""


def wait_for_app(page, timeout: float = 90_000) -> None:
    """Wait until Streamlit has drawn the page and finished running its script: a
    condition on the page, never a fixed pause."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(APP_SETTLED, timeout=timeout)

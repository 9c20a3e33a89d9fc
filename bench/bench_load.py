"""Many people opening a page at once, measured the way a browser asks for it, against the
real server (``streamlit run dashboard/server.py`` over a copy of the demo database).

Each simulated person opens the app's websocket (``/_stcore/stream``), sends the one
``rerun_script`` message a fresh browser tab sends for the page, and waits for
``script_finished``: the server's whole time for that person, queueing included. A second
server, started beside it in the same run, serves a page that only draws its title: every
figure is also printed as a ratio to that page at the same number of people (machines here
are shared and noisy: read the ratios). The first figure of each page is with cold caches
(the first visit after the server starts); the rest are warm. At the end, each server's
peak memory (VmHWM).

With ``--replicas N``, the same pages are measured again in the same run through HAProxy in
front of N app processes sharing one PostgreSQL database (``deploy/replicas.py``, on a
PostgreSQL server started for the run with the same demo loaded), against the same
title-only page.

    python bench/bench_load.py [--db PATH] [--people 1,10,50] [--pages overview,indicator]
                               [--replicas 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.postgres import cluster, database, free_port
from metrics.core.access import Actor
from metrics.services import is_server, restore

ROOT = Path(__file__).resolve().parent.parent
TITLE_ONLY = 'import streamlit as st\nst.title("A page with its title only")\n'
PAGES = {
    "overview": ("overview", "as=board"),
    "indicator": ("indicator", "as=board&code=BH01"),
    "trends": ("trends", "as=scrutiny"),
    "catalogue": ("catalogue", ""),
    "guide": ("guide", ""),
    "accessibility": ("accessibility", ""),
}


def start(script: Path, db: Path | str, log: Path) -> tuple[subprocess.Popen, str]:
    """``streamlit run script`` over the database ``db`` (a file, or a PostgreSQL URL)."""
    port = free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env["OUTCOMES_DATABASE_URL" if is_server(str(db)) else "OUTCOMES_DB"] = str(db)
    where = ["--server.port", str(port), "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), *where],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the server did not start: see {log}")


async def open_page(url: str, page: str, query: str) -> float:
    """One fresh tab: connect, ask for the page, wait for the run to finish (seconds)."""
    ask = BackMsg(rerun_script=ClientState(query_string=query, page_name=page))
    async with websockets.connect(
        f"ws://{url}/_stcore/stream",
        subprotocols=["streamlit"],
        origin=f"http://{url}",
        max_size=None,
        open_timeout=120,
    ) as ws:
        start = time.perf_counter()
        await ws.send(ask.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=300))
            if msg.WhichOneof("type") == "script_finished":
                if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise SystemExit(f"{page}: the run ended with status {msg.script_finished}")
                return time.perf_counter() - start


async def at_once(url: str, page: str, query: str, people: int) -> list[float]:
    """``people`` fresh tabs opening the page at once."""
    return list(await asyncio.gather(*(open_page(url, page, query) for _ in range(people))))


def quiet_session(url: str):
    """A session left open, as on a server in use: Streamlit forgets the pages it has
    compiled when the last session leaves, which a server with people on it never sees."""
    return websockets.connect(
        f"ws://{url}/_stcore/stream", subprotocols=["streamlit"], origin=f"http://{url}"
    )


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


async def measure(
    app_url: str,
    base_url: str,
    crowd: list[int],
    pages: list[str],
    replicated: tuple[str, int] | None = None,
) -> None:
    async with quiet_session(app_url), quiet_session(base_url):
        print(f"{'page':<44} {'people':>6} {'p50 s':>8} {'p95 s':>8} {'p95 ratio':>10}")
        baseline: dict[int, float] = {}
        for n in crowd:
            await at_once(base_url, "", "", n)  # warm
            times = await at_once(base_url, "", "", n)
            baseline[n] = p95(times)
            line("title-only", n, times, 1.0)
        servers = [(app_url, "", 1)]
        if replicated:
            proxy_url, replicas = replicated
            servers.append((proxy_url, f", {replicas} replicas on PostgreSQL", replicas))
        for url, label, processes in servers:
            for name in pages:
                page, query = PAGES[name]
                first = await at_once(url, page, query, processes)  # the first on each
                line(f"{name}{label} (cold)", processes, first, p95(first) / baseline[crowd[0]])
                for n in crowd:
                    times = await at_once(url, page, query, n)
                    line(f"{name}{label}", n, times, p95(times) / baseline[n])


def line(name: str, people: int, times: list[float], ratio: float) -> None:
    print(
        f"{name:<44} {people:>6} {statistics.median(times):>8.3f} {p95(times):>8.3f} "
        f"{ratio:>10.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="a demo database (default: data/outcomes.duckdb)")
    parser.add_argument("--people", default="1,10,50")
    parser.add_argument("--pages", default="overview,indicator,accessibility")
    parser.add_argument(
        "--replicas", type=int, default=0, help="also measure N app processes on PostgreSQL"
    )
    args = parser.parse_args()
    source = args.db or ROOT / "data" / "outcomes.duckdb"
    if not source.exists():
        raise SystemExit(f"no database at {source}: run 'outcomes demo' or give --db")
    crowd = [int(n) for n in args.people.split(",")]
    pages = args.pages.split(",")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "demo.duckdb"
        shutil.copy(source, db)
        baseline_script = folder / "title_only.py"
        baseline_script.write_text(TITLE_ONLY)
        app, app_url = start(ROOT / "dashboard" / "server.py", db, folder / "app.log")
        base, base_url = start(baseline_script, folder / "none.duckdb", folder / "base.log")
        try:
            if args.replicas:
                with replicas(source, args.replicas, folder) as (proxy_url, pids):
                    asyncio.run(
                        measure(app_url, base_url, crowd, pages, (proxy_url, args.replicas))
                    )
                    each = ", ".join(f"{peak_memory_mb(pid):.0f}" for pid in pids)
                    print(f"peak memory: replicas {each} MB")
            else:
                asyncio.run(measure(app_url, base_url, crowd, pages))
            print(
                f"peak memory: app {peak_memory_mb(app.pid):.0f} MB, "
                f"title-only page {peak_memory_mb(base.pid):.0f} MB"
            )
        finally:
            for proc in (app, base):
                proc.terminate()
                proc.wait(timeout=20)


@contextmanager
def replicas(db: Path, count: int, folder: Path):
    """``count`` app processes behind HAProxy on a PostgreSQL database holding ``db``'s
    record; yields the proxy's address and the processes' ids."""
    with cluster() as server:
        url = loaded(server, "outcomes", db, folder)
        with launched(url, count, folder) as found:
            yield found


def loaded(server: str, name: str, db: Path, folder: Path) -> str:
    """A database ``name`` on the server holding ``db``'s record; its URL."""
    url = database(server, name)
    restore(Actor.operator("bench"), db, url, aside=folder / f"{name}-unused.duckdb")
    return url


@contextmanager
def launched(url: str, count: int, folder: Path):
    """``deploy/replicas.py`` on the database at ``url``: the proxy's address and the app
    processes' ids."""
    state, port = folder / "replicas.json", free_port()
    launch = ["--port", str(port), "--replicas", str(count), "--state", str(state)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.replicas", *launch],
        cwd=ROOT,
        env={**os.environ, "OUTCOMES_DATABASE_URL": url},
        stdout=(folder / "replicas.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while not state.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the replicas did not start: see {folder}/replicas.log")
            time.sleep(0.3)
        yield f"127.0.0.1:{port}", list(json.loads(state.read_text())["apps"].values())
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()

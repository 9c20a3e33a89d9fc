"""Does the cost of a page and of an ingest stay flat as history and published data grow?

Two databases in the same run: the normal demo (3½ years of returns, five published years)
and the national-size one (``outcomes demo --scale national``: ten years of quarterly returns
with localities and breakdowns, ten years of published figures for every authority). For
each, on both backends (the DuckDB file, and PostgreSQL with each process's mirror):

- an ingest: the next quarter's return of several groups, checked and stored through the
  services (what the Submit page and ``outcomes ingest`` call), each timed whole;
- a page: the overview and an indicator page served by a real ``streamlit run`` and asked
  for the way a browser tab asks (``bench_load.open_page``), warm caches.

Figures are printed with the ratio national / normal from the same run (machines here are
shared and noisy: read the ratios).

    python bench/bench_national.py [--national PATH] [--runs 15] [--backends file,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from bench_load import PAGES, loaded, open_page, quiet_session, start

from deploy.postgres import cluster
from metrics.core.catalogue import load_catalogue
from metrics.core.clock import FixedClock
from metrics.demo.build import (
    EXPLANATIONS,
    build_demo,
    demo_lead,
    generate_return,
)
from metrics.demo.profiles import load_profiles
from metrics.services import check_return, submit_return
from metrics.store.connection import Store

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / ".cache" / "national.duckdb"
SIZES = ["observations", "indicator_values", "published_values", "audit_log", "submissions"]


def built(path: Path, scale: str) -> Path:
    if not path.exists():
        print(f"building the {scale} demo at {path} ...", flush=True)
        started = time.monotonic()
        build_demo(path, load_catalogue(), scale=scale)
        print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
    return path


def sizes(location: str) -> dict[str, int]:
    with Store(location, read_only=True) as store:
        return {t: store.scalar(f"SELECT count(*) FROM {t}") for t in SIZES}


def ingest_times(location: str, runs: int) -> list[float]:
    """The next quarter's return of each group due (up to ``runs``), each checked and stored
    and timed whole."""
    catalogue = load_catalogue()
    profiles = load_profiles()
    quarter = catalogue.last_demo_quarter().shift(1)
    times = []
    on = FixedClock(datetime.combine(quarter.end + timedelta(days=10), datetime.min.time()))
    with Store(location, clock=on) as store:
        due = [g for g in catalogue.group if catalogue.due_rows(g, quarter)]
        for group in due[:runs]:
            frame = generate_return(catalogue, profiles, group, quarter)
            data = frame.write_csv().encode()
            lead = demo_lead(catalogue, group)
            started = time.perf_counter()
            checked = check_return(
                lead,
                store,
                catalogue,
                group=group,
                period=quarter.code,
                data=data,
                file_name=f"{group}.csv",
            )
            result = submit_return(lead, store, catalogue, checked, explanations=EXPLANATIONS)
            times.append(time.perf_counter() - started)
            if result.status != "accepted":
                raise SystemExit(f"{group} {quarter.code}: {result.status}")
    return times


@contextmanager
def served(location: str, folder: Path):
    """``streamlit run`` on the database at ``location`` (a file or a PostgreSQL URL)."""
    proc, url = start(ROOT / "dashboard" / "server.py", location, folder / "server.log")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def page_times(url: str, runs: int) -> dict[str, list[float]]:
    out = {}
    async with quiet_session(url):
        for name in ("overview", "indicator"):
            page, query = PAGES[name]
            await open_page(url, page, query)  # the first visit warms the caches
            out[name] = [await open_page(url, page, query) for _ in range(runs)]
    return out


def row(what: str, normal: list[float], national: list[float]) -> None:
    a, b = statistics.median(normal), statistics.median(national)
    print(f"{what:<36} {a:>10.3f} {b:>10.3f} {b / a:>8.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--national", type=Path, default=NATIONAL)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backends", default="file,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp:
        folder = Path(tmp)
        sources = {
            "normal": built(folder / "normal.duckdb", "demo"),
            "national": built(args.national, "national"),
        }
        print(f"\n{'rows':<36} {'normal':>10} {'national':>10} {'ratio':>8}")
        counted = {k: sizes(str(v)) for k, v in sources.items()}
        for table in SIZES:
            a, b = counted["normal"][table], counted["national"][table]
            print(f"{table:<36} {a:>10,} {b:>10,} {b / a:>8.1f}")
        with cluster() if "postgresql" in backends else _nothing() as server:
            for backend in backends:
                locations = {}
                for name, path in sources.items():
                    if backend == "file":
                        copy = folder / f"{name}-copy.duckdb"
                        shutil.copy(path, copy)
                        locations[name] = str(copy)
                    else:
                        locations[name] = loaded(server, f"b_{name}", path, folder)
                print(f"\n{backend:<36} {'normal s':>10} {'national s':>10} {'ratio':>8}")
                pages = {}
                for name, location in locations.items():
                    with served(location, folder) as url:
                        pages[name] = asyncio.run(page_times(url, args.runs))
                for page in ("overview", "indicator"):
                    row(
                        f"{page} page (warm, median)",
                        pages["normal"][page],
                        pages["national"][page],
                    )
                # the process warmed first: imports, and each group's validation suite
                warm = folder / "warm.duckdb"
                shutil.copy(sources["normal"], warm)
                ingest_times(str(warm), 99)
                ingests = {n: ingest_times(loc, args.runs) for n, loc in locations.items()}
                row("ingest: check and store a return", ingests["normal"], ingests["national"])


@contextmanager
def _nothing():
    yield None


if __name__ == "__main__":
    main()

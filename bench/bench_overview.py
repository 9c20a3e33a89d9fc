"""Server-side run time of the board overview on the demo database, measured with
AppTest, beside an empty page as the baseline, in the same run.

Two overview figures: warm (cached queries, as most visits are) and cold (caches
cleared before each run, as the first visit after an accepted return). Machines here
are shared and noisy: read the ratios.

    python bench/bench_overview.py [--runs 15] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMPTY_PAGE = 'import streamlit as st\nst.title("Empty page")\n'


def timed_runs(make, runs: int, before=None) -> list[float]:
    times = []
    for _ in range(runs):
        at = make()
        if before:
            before()
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise SystemExit(f"page failed: {at.exception}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="demo database (built in a temporary folder if not given)",
    )
    args = parser.parse_args()

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from metrics.core.catalogue import load_catalogue
            from metrics.demo.build import build_demo

            db = Path(tmp) / "demo.duckdb"
            print("Building the demo database ...", flush=True)
            build_demo(db, load_catalogue())
        os.environ["OUTCOMES_DB"] = str(db)
        empty = Path(tmp) / "empty.py"
        empty.write_text(EMPTY_PAGE)

        def overview():
            at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
            at.switch_page("views/overview.py")
            return at

        def blank():
            return AppTest.from_file(str(empty), default_timeout=120)

        timed_runs(overview, 2)  # warm up imports and the store
        timed_runs(blank, 2)
        base = timed_runs(blank, args.runs)
        warm = timed_runs(overview, args.runs)
        cold = timed_runs(overview, args.runs, before=st.cache_data.clear)

    b = statistics.median(base)
    print(f"{'page':<26} {'median':>9} {'min':>9} {'ratio to empty':>15}")
    for name, values in (
        ("empty page (baseline)", base),
        ("overview, cached", warm),
        ("overview, caches cleared", cold),
    ):
        m = statistics.median(values)
        print(f"{name:<26} {m * 1000:>7.0f}ms {min(values) * 1000:>7.0f}ms {m / b:>14.1f}x")


if __name__ == "__main__":
    main()

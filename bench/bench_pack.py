"""Time to make a demo meeting's board pack, beside building the same report objects alone,
in the same run: the objects (the store as at the cut-off, every figure, the exception
sections), the HTML laid out from them, and the PDF printed by Chromium. Machines here are
shared and noisy: read the ratios.

    python bench/bench_pack.py [--runs 3] [--db PATH]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def timed(work, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None, help="demo database (else built)")
    args = parser.parse_args()

    from metrics import services as acc
    from metrics.core.access import Actor
    from metrics.core.catalogue import load_catalogue
    from metrics.reports.html import render
    from metrics.reports.pack import build_pack
    from metrics.store.connection import Store

    catalogue = load_catalogue()
    operator = Actor.operator("bench")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        if args.db:
            shutil.copy(args.db, db)
        else:
            from metrics.demo.build import build_demo

            print("Building the demo database ...", flush=True)
            build_demo(db, catalogue)
        with Store(db) as store:
            meeting = acc.add_meeting(
                operator,
                store,
                held_on=store.clock.today(),
                kind="ordinary",
                title="Bench",
                cut_off=store.clock.now() - timedelta(minutes=1),
            )
            record = acc.meeting(operator, store, meeting)

            def objects():
                as_at = store.as_at(record["cut_off"], catalogue)
                return build_pack(
                    as_at, store, catalogue, record, concealed=False, marking="OFFICIAL"
                )

            pack = objects()
            results = {
                "report objects alone": timed(objects, args.runs),
                "objects + HTML": timed(lambda: render(objects()), args.runs),
                "objects + HTML + PDF (Chromium)": timed(
                    lambda: acc.board_pack(operator, store, catalogue, meeting), args.runs
                ),
            }
    base = statistics.median(results["report objects alone"])
    print(f"\nBoard pack for the demo meeting: {len(pack.sections)} exception sections")
    print(f"{'step':<34}{'median s':>10}{'x objects':>11}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:<34}{median:>10.2f}{median / base:>11.1f}")


if __name__ == "__main__":
    main()

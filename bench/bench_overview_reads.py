"""The board overview's report object built two ways in the same run, on the demo database:
as now (each thing read once: 7-8 reads) and as it was read before (the values and the
returns read twice, and one neighbour-average query per indicator: 34-36 reads). Prints the
reads and the median build time of each, and their ratio. Machines here are shared and
noisy: read the ratio.

    python bench/bench_overview_reads.py [--runs 15] [--db PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from metrics.core.access import Actor, Role
from metrics.core.catalogue import Catalogue, load_catalogue
from metrics.core.periods import matching_year
from metrics.reports import board as board_rules
from metrics.reports import figures as report_figures
from metrics.reports.overview import build_overview
from metrics.store.connection import Store
from metrics.store.reads import figures as figures_reads

SCRUTINY = Actor(id="bench|scrutiny", name="bench", roles=frozenset({Role.SCRUTINY}))


def benchmark_rows_one_query_each(
    store: Store, catalogue: Catalogue, wanted: list[tuple[str, str]]
) -> pl.DataFrame:
    """The benchmarks as they were read before: one neighbour-average query for each
    indicator (a copy of the earlier code, kept here as the baseline)."""
    method = catalogue.settings.neighbour_average
    codes = sorted({code for code, _ in wanted})
    published = store.frame(
        "SELECT indicator_code, period, level, area_code, value FROM published_values "
        "WHERE value IS NOT NULL AND level IN ('national', 'regional') "
        "AND list_contains(?, indicator_code)",
        [codes],
    )
    neighbour_cache: dict[tuple[str, str], tuple[float | None, int]] = {}
    rows = []
    for code, local_period in wanted:
        mine = published.filter(pl.col("indicator_code") == code)
        national = mine.filter(pl.col("level") == "national")
        years = national["period"].to_list()
        if not years:
            continue
        period, matched = matching_year(local_period, years)
        row = {"indicator_code": code, "period": local_period, "neighbour_method": method}
        if period is not None:
            region = mine.filter(
                (pl.col("level") == "regional")
                & (pl.col("period") == period)
                & (pl.col("area_code") == catalogue.settings.home_region_code)
            )
            if (code, period) not in neighbour_cache:
                neighbour_cache[code, period] = (
                    figures_reads.neighbour_average(
                        store, code, period, catalogue.settings.home_old_la_code, method=method
                    )
                    if catalogue.settings.home_old_la_code
                    else (None, 0)
                )
            neighbours, n = neighbour_cache[code, period]
            row |= {
                "benchmark_period": period,
                "benchmark_matched": matched,
                "england": national.filter(pl.col("period") == period)["value"][0],
                "region": region["value"][0] if region.height else None,
                "neighbours": neighbours,
                "neighbours_n": n,
            }
        rows.append(row)
    return pl.DataFrame(rows, schema=figures_reads.BENCHMARK_SCHEMA)


def as_before(source, catalogue, period, *, concealed, on):
    """The overview with the reads it made before: the values read by the table and again by
    the benchmarks, the returns by the exception list and again for the status table."""
    table = report_figures.indicator_table(source, catalogue, period, concealed=concealed)
    table = report_figures.with_benchmarks(table, source, catalogue, period, concealed=concealed)
    board_rules.returns_status(source, catalogue, period, today=on)
    board_rules.exception_list(source, catalogue, table, period, on=on)
    return table


@contextmanager
def counting(store: Store):
    reads = []
    frame, scalar = store.frame, store.scalar
    store.frame = lambda q, p=None: (reads.append(q), frame(q, p))[1]
    store.scalar = lambda q, p=None: (reads.append(q), scalar(q, p))[1]
    try:
        yield reads
    finally:
        store.frame, store.scalar = frame, scalar


def timed(build, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        build()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", type=Path, help="demo database (built here if not given)")
    args = parser.parse_args()
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from metrics.demo.build import build_demo

            db = Path(tmp) / "demo.duckdb"
            print("Building the demo database ...", flush=True)
            build_demo(db, catalogue)
        with Store(db, read_only=True) as store:
            period = report_figures.default_period(store)
            on = store.clock.today()

            def now():
                build_overview(store, catalogue, period, concealed=True, on=on)

            def before():
                grouped = figures_reads.benchmark_rows
                figures_reads.benchmark_rows = benchmark_rows_one_query_each
                try:
                    as_before(store, catalogue, period, concealed=True, on=on)
                finally:
                    figures_reads.benchmark_rows = grouped

            for build in (now, before):  # warm up
                build()
            with counting(store) as reads_now:
                now()
            with counting(store) as reads_before:
                before()
            times_before = timed(before, args.runs)
            times_now = timed(now, args.runs)
    b, n = statistics.median(times_before), statistics.median(times_now)
    print(f"overview for {period}, as a scrutiny member sees it, {args.runs} runs each")
    print(f"{'build':<28} {'reads':>6} {'median':>9} {'ratio':>7}")
    print(f"{'as read before':<28} {len(reads_before):>6} {b * 1000:>7.1f}ms {1.0:>7.2f}")
    print(f"{'each thing read once':<28} {len(reads_now):>6} {n * 1000:>7.1f}ms {n / b:>7.2f}")


if __name__ == "__main__":
    main()

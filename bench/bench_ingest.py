"""Validate and ingest returns of 1k, 10k, 100k and 1M rows.

For each size it times, in the same run and on the same file:
  * the product path: read + prepare + the GX suites (validate), then the DuckDB ingest
    (one transaction, including recomputing indicator values);
  * the baseline: read + prepare + the same checks as plain Polars expressions
    (metrics.returns.validation.polars_checks, tested to flag the same cells as GX).
It prints rows per second and the ratio GX / Polars. Machines here are shared and
noisy: read the ratios, not the absolute times.

    python bench/bench_ingest.py [--sizes 1000,10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from metrics.core.access import Actor
from metrics.core.catalogue import DEFAULT_CATALOGUE_DIR, load_catalogue
from metrics.core.limits import ReadLimits
from metrics.core.periods import Quarter
from metrics.returns.reading import read_return
from metrics.returns.templates import template_frame
from metrics.returns.validation import polars_checks, prepare, validate_return
from metrics.services.returns import ANY_VERSION, CheckedReturn, submit_return
from metrics.store.connection import Store

GROUP, PERIOD = "HCP", "2025-26-Q1"  # three quarterly indicators reported by locality


def catalogue_with_localities(folder: Path, count: int) -> Path:
    """The shipped catalogue with ``count`` synthetic localities (to reach big returns)."""
    target = folder / "catalogue"
    shutil.copytree(DEFAULT_CATALOGUE_DIR, target)
    areas = [
        {
            "code": "E06099001",
            "name": "Bench authority",
            "level": "authority",
            "population_0_17": 10_000 * count,
        }
    ]
    areas += [
        {
            "code": f"E05{i:06d}",
            "name": f"Locality {i}",
            "level": "locality",
            "population_0_17": 10_000,
        }
        for i in range(count)
    ]
    (target / "areas.yaml").write_text(yaml.safe_dump(areas))
    return target


def make_return(catalogue) -> bytes:
    frame = template_frame(catalogue, GROUP, Quarter.parse(PERIOD))  # every due row
    rng = np.random.default_rng(7)
    den = rng.integers(50, 500, frame.height)
    num = rng.binomial(den, 0.6)
    return (
        frame.with_columns(
            numerator=pl.Series(num.astype(str)), denominator=pl.Series(den.astype(str))
        )
        .write_csv()
        .encode()
    )


def timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def run(size: int, work: Path) -> dict[str, float]:
    localities = math.ceil(size / 3)
    catalogue = load_catalogue(catalogue_with_localities(work, localities))
    data = make_return(catalogue)
    quarter = Quarter.parse(PERIOD)
    limits = ReadLimits.unbounded_for(data)

    def baseline():
        raw = read_return(data, file_name="r.csv", limits=limits)
        prepared = prepare.prepare_content(raw, catalogue=catalogue, group=GROUP, quarter=quarter)
        params = prepare.content_parameters(catalogue, GROUP, quarter)
        return polars_checks.check(
            prepared, params, catalogue=catalogue, group=GROUP, quarter=quarter, with_history=False
        )

    report, gx_seconds = timed(
        lambda: validate_return(
            data,
            catalogue=catalogue,
            group=GROUP,
            period=PERIOD,
            file_name="r.csv",
            limits=limits,
        )
    )
    fast, polars_seconds = timed(baseline)
    if report.findings or fast:
        raise SystemExit(f"benchmark return is not clean: {report.findings[:3]} {fast[:3]}")
    store = Store(work / "bench.duckdb")
    result, ingest_seconds = timed(
        lambda: submit_return(
            Actor.operator("bench"),
            store,
            catalogue,
            CheckedReturn(report, data, "r.csv", ANY_VERSION),
        )
    )
    store.close()
    if result.status != "accepted":
        raise SystemExit(result.message)
    return {
        "rows": report.rows,
        "gx": gx_seconds,
        "polars": polars_seconds,
        "ingest": ingest_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    validate_return(b"x,y\n1,2\n", catalogue=load_catalogue(), group=GROUP, period=PERIOD)  # warm
    print(
        f"{'rows':>9} | {'GX validate':>12} {'rows/s':>10} | {'Polars checks':>13} "
        f"{'rows/s':>10} | {'GX/Polars':>9} | {'ingest':>8} {'rows/s':>10}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            r = run(size, Path(tmp))
        n = r["rows"]
        print(
            f"{n:>9,} | {r['gx']:>11.2f}s {n / r['gx']:>10,.0f} | {r['polars']:>12.2f}s "
            f"{n / r['polars']:>10,.0f} | {r['gx'] / r['polars']:>8.1f}x | "
            f"{r['ingest']:>7.2f}s {n / r['ingest']:>10,.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

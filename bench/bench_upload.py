"""Uploads under load and under attack: memory and time of the worst files, and validations
running at once.

1. **Worst files.** Each file below the upload limit that once crashed, hung or exhausted
   memory is read and validated (``validate_return``) in a fresh process, beside a normal
   return in the same run. It prints wall time and peak resident memory: of that process
   (Python, Polars, GX and the file) and of the child process that opens XLSX workbooks.
   The stated bound is 1 GiB for any file under the limit.
2. **Validations at once.** The warm time to validate a typical return (HCP's 22 rows)
   alone, then with three validations running at once in threads (as three Streamlit
   sessions do), beside the same checks written as plain Polars expressions.

Machines here are shared and noisy: read the ratios, not the absolute times.

    python bench/bench_upload.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from metrics.core.catalogue import load_catalogue  # noqa: E402
from metrics.core.periods import Quarter  # noqa: E402
from metrics.returns.reading.base import read_return  # noqa: E402
from metrics.returns.templates import template_bytes  # noqa: E402
from metrics.returns.validation import polars_checks, prepare, validate_return  # noqa: E402
from tests.helpers import csv_bytes, good_return  # noqa: E402
from tests.metrics.test_hostile_files import xlsx_of_rows, xlsx_with_cell_at  # noqa: E402

GROUP, PERIOD = "HCP", "2025-26-Q2"
BOUND_MB = 1024

MEASURE = """
import json, resource, sys, time
from pathlib import Path
from metrics.core.catalogue import load_catalogue
from metrics.returns.validation import validate_return
catalogue = load_catalogue()
for _ in range(2):  # warm: GX imported, every suite run once, on a normal return
    validate_return(Path(sys.argv[4]).read_bytes(), catalogue=catalogue,
                    group=sys.argv[2], period=sys.argv[3], file_name="normal.csv")
start = time.perf_counter()
report = validate_return(Path(sys.argv[1]).read_bytes(), catalogue=catalogue,
                         group=sys.argv[2], period=sys.argv[3], file_name=sys.argv[1])
seconds = time.perf_counter() - start
status = Path("/proc/self/status").read_text()
peak_kb = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1])
print(json.dumps({
    "seconds": seconds,
    "rss_mb": peak_kb / 1024,
    "findings": sorted({f.rule for f in report.findings}),
}))
"""

# The child process that opens a workbook, launched from a small process: a child's peak
# memory (ru_maxrss) starts at its parent's resident size, so it must not be this one.
READER = """
import resource, subprocess, sys
with open(sys.argv[1], "rb") as book:
    subprocess.run([sys.executable, "-m", "metrics.returns.reading.xlsx", "1024", "60", "return"],
                   stdin=book, stdout=subprocess.DEVNULL, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def worst_files() -> dict[str, bytes]:
    catalogue = load_catalogue()
    normal = good_return(catalogue, GROUP, PERIOD)
    header = b"indicator_code,period,area_code,breakdown,numerator,denominator,commentary\n"
    row = normal.row(0)
    biggest = ",".join(f'"{v}"' for v in row[:6]).encode()
    return {
        "normal return (CSV)": csv_bytes(normal),
        "normal return (XLSX template)": template_bytes(
            catalogue, GROUP, Quarter.parse(PERIOD), "xlsx"
        ),
        "CSV, a million columns (2 MB)": b"," * 1_000_000 + b"\nx\n",
        "CSV, 2 million blank-headed columns (2 MB)": b"indicator_code" + b"," * 2_000_000 + b"\n",
        "CSV, a million rows of X,,,,, (7 MB)": header + b"X,,,,,,\n" * 1_000_000,
        "CSV, a 140,000-character line": header + b"BH01,,,,,," + b"a" * 140_000 + b"\n",
        "CSV, 1,900 rows of 10,000-character commentary (19 MB)": header
        + (biggest + b',"' + b"a" * 10_000 + b'"\n') * 1_900,
        "CSV, 50,000 rows (the row limit)": header + (biggest + b",\n") * 50_000,
        "XLSX, one cell at XFD1048576": xlsx_with_cell_at("XFD1048576"),
        "XLSX, 3 million rows": xlsx_of_rows(3_000_000),
    }


def measure(name: str, data: bytes, folder: Path) -> dict:
    suffix = ".xlsx" if data.startswith(b"PK") else ".csv"
    path = folder / f"upload{suffix}"
    path.write_bytes(data)

    def run(script: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=900,
        )
        if done.returncode != 0:
            raise SystemExit(f"{name}: {done.stderr[-2000:]}")
        return done.stdout.strip().splitlines()[-1]

    normal = folder / "normal.csv"
    if not normal.exists():
        normal.write_bytes(csv_bytes(good_return(load_catalogue(), GROUP, PERIOD)))
    result = json.loads(run(MEASURE, str(path), GROUP, PERIOD, str(normal)))
    # the reader is reached only by workbooks that pass the checks of their XML
    opened = suffix == ".xlsx" and not {"R01", "R02"} & set(result["findings"])
    result["child_mb"] = float(run(READER, str(path))) if opened else 0.0
    return {**result, "mb": len(data) / 1e6}


def part_one() -> None:
    print("1. Worst files, each read and validated in a fresh process")
    print(
        f"{'file':<56} {'size':>7} {'time':>7} {'x normal':>8} {'peak':>8} {'child':>7}  findings"
    )
    with tempfile.TemporaryDirectory() as tmp:
        normal = None
        worst = 0.0
        for name, data in worst_files().items():
            r = measure(name, data, Path(tmp))
            normal = normal or r
            worst = max(worst, r["rss_mb"], r["child_mb"])
            print(
                f"{name:<56} {r['mb']:>5.1f}MB {r['seconds']:>6.2f}s "
                f"{r['seconds'] / normal['seconds']:>7.1f}x {r['rss_mb']:>6.0f}MB "
                f"{r['child_mb']:>5.0f}MB  {','.join(r['findings']) or 'none'}",
                flush=True,
            )
    verdict = "within" if worst < BOUND_MB else "OVER"
    print(f"Largest peak: {worst:.0f} MB, {verdict} the stated bound of {BOUND_MB} MB.\n")


def part_two(rounds: int) -> None:
    catalogue = load_catalogue()
    data = csv_bytes(good_return(catalogue, GROUP, PERIOD))
    quarter = Quarter.parse(PERIOD)

    def validate() -> None:
        report = validate_return(
            data, catalogue=catalogue, group=GROUP, period=PERIOD, file_name="r.csv"
        )
        if report.findings:
            raise SystemExit(f"the benchmark return is not clean: {report.findings[:3]}")

    def baseline() -> None:
        raw = read_return(io.BytesIO(data).getvalue(), file_name="r.csv")
        prepared = prepare.prepare_content(raw, catalogue=catalogue, group=GROUP, quarter=quarter)
        params = prepare.content_parameters(catalogue, GROUP, quarter)
        polars_checks.check(
            prepared, params, catalogue=catalogue, group=GROUP, quarter=quarter, with_history=False
        )

    def timed(func) -> float:
        start = time.perf_counter()
        func()
        return time.perf_counter() - start

    for _ in range(3):  # warm: imports, GX engines, caches
        validate()
        baseline()
    alone = statistics.median(timed(validate) for _ in range(rounds))
    polars = statistics.median(timed(baseline) for _ in range(rounds))
    together: list[float] = []

    def worker() -> None:
        for _ in range(rounds):
            together.append(timed(validate))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    at_once = statistics.median(together)
    rows = len(data.splitlines()) - 1
    print(f"2. Validating a typical return ({rows} rows), warm, median of {rounds}")
    print(f"   GX suites, alone:                 {alone * 1000:7.0f} ms")
    print(
        f"   GX suites, three at once:         {at_once * 1000:7.0f} ms  "
        f"({at_once / alone:.1f}x alone; 3 validations share 2 cores and the GIL)"
    )
    print(
        f"   plain Polars checks, alone:       {polars * 1000:7.0f} ms  "
        f"(GX alone is {alone / polars:.0f}x this)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--part", choices=["1", "2", "both"], default="both")
    args = parser.parse_args()
    if args.part in ("1", "both"):
        part_one()
    if args.part in ("2", "both"):
        part_two(args.rounds)


if __name__ == "__main__":
    main()

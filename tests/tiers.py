"""The whole suite as ``make test`` runs it, in tiers, and one closing line for all of them.

- **browser**: the paths a person takes, in Debian's Chromium against ``streamlit run``,
  and board packs printed by it (tests marked ``browser``), at the real clock; and again
  (**browser-pg**) with the app on PostgreSQL;
- **unit and page, clock two years ahead** (on DuckDB files) and **clock a year back** (on
  PostgreSQL): every other test (the domain, the store, the services, the reports and every
  page in AppTest), run twice with the wall clock moved (time-machine, see
  ``tests/conftest.py``), which proves that no test depends on the day it runs (the tests
  themselves tell the time by ``OUTCOMES_CLOCK``), and on both backends.

On this two-core machine the tiers run side by side: the two clock tiers start at once,
one process each, beside the building of the demo database they and the browser tier share
(``tests.conftest.cached_demo``; the tests that need it run last in each tier, and wait for
it); the browser tier, which spends most of its time waiting on a browser, starts when the
demo is built. The clock tiers run at a lower priority, so the demo's building and then the
browser tier (what the run as a whole waits on) get a core first. The three share one folder
of GX verdicts for the run, and the two clock tiers run their tests from opposite ends, so
each verdict is computed once. Nothing waits on a core that is free.

    python -m tests.tiers            # all tiers
    python -m tests.tiers ahead      # one tier by name
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "test-artifacts" / "tiers"
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
TIERS = {
    "ahead": (730, "forward", ["-m", "not browser and not postgresql"]),
    "back": (-365, "reverse", ["-m", "not browser and not file_only"]),
    "browser": (0, "forward", ["-m", "browser", "-n", "2", "--dist", "loadfile"]),
    "browser-pg": (
        0,
        "forward",
        ["-m", "browser and not file_only and not postgresql", "-n", "2", "--dist", "loadfile"],
    ),
}
"""Each tier: how many days its wall clock is moved, the order its tests run in (the two
clock tiers run the same tests from opposite ends, so that each finds the GX verdicts the
other has already computed: see ``OUTCOMES_VERDICTS_DIR``), and pytest's arguments. The
browser tier, which the run waits on and which spends most of its time waiting on a page,
runs its modules on two workers (each module's server stays in one worker); ``browser-pg``
runs the same paths with the app on PostgreSQL (the server fixture serves the PostgreSQL
database that stands for its file), but for the tests of the file itself and those already
on PostgreSQL (the replicas).

The clock-back tier runs on PostgreSQL (``OUTCOMES_TEST_BACKEND``: every store a test opens
on a file is a PostgreSQL database instead, ``tests/on_postgresql.py``), with the tests marked
``postgresql`` (concurrency across processes, the replicas); the clock-ahead tier on DuckDB
files, with the tests marked ``file_only`` (the file's lock, damage, a full disk). So every
other test runs on both backends, under two clocks."""
BACKENDS = {"back": "postgresql", "browser-pg": "postgresql"}
AFTER_THE_DEMO = {"browser", "browser-pg"}
"""Tiers started once the demo database is built (the others start beside its building)."""
YIELDING = {"ahead", "back"}
"""Tiers run at a lower priority (nice 5): the demo's building and the browser tier, which
the whole run waits on, get a core first; these take the time that is left."""


FUZZ_EXAMPLES = 40
"""Generated returns the fuzz tests try in a whole run (``tests/metrics/validation/test_fuzz``)."""


def build_demo_once() -> None:
    from metrics.core.catalogue import load_catalogue
    from tests.conftest import cached_demo

    started = time.monotonic()
    path = cached_demo(load_catalogue())
    print(f"demo database: {path.name} ({time.monotonic() - started:.0f} s)", flush=True)


def counts(log: str) -> dict[str, int]:
    """The numbers in pytest's closing line (passed, failed, errors, skipped)."""
    lines = [line for line in log.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    found = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    if lines:
        for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", lines[-1]):
            found["error" if word.startswith("error") else word] += int(number)
    return found


def start(name: str) -> tuple[subprocess.Popen, object, float]:
    shift, order, args = TIERS[name]
    log = open(LOGS / f"{name}.log", "w")  # noqa: SIM115
    env = {**os.environ, "OUTCOMES_TEST_CLOCK_SHIFT_DAYS": str(shift), "OUTCOMES_TEST_ORDER": order}
    if name in YIELDING and len(YIELDING) > 1 and "OUTCOMES_FUZZ_EXAMPLES" not in os.environ:
        # the clock tiers run the same tests: the generated returns are shared between them
        # (each tier draws its own at random), so the run still tries as many as one alone
        env["OUTCOMES_FUZZ_EXAMPLES"] = str(FUZZ_EXAMPLES // len(YIELDING))
    env["OUTCOMES_TEST_BACKEND"] = BACKENDS.get(name, "duckdb")
    print(
        f"== tier {name}: wall clock moved {shift:+d} days, on {env['OUTCOMES_TEST_BACKEND']}",
        flush=True,
    )
    command = [*PYTEST, *args, *sys.argv[2:]]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=(lambda: os.nice(5)) if name in YIELDING else None,
    )
    return proc, log, time.monotonic()


def run(names: list[str]) -> dict[str, tuple[int, dict[str, int], float]]:
    """Run the tiers, sharing one folder of GX verdicts made for this run (each verdict is
    computed once in the whole run: by the demo's building or by whichever tier needs it
    first), and removed after it."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="outcomes-verdicts-") as verdicts:
        os.environ.setdefault("OUTCOMES_VERDICTS_DIR", verdicts)
        return run_sharing(names)


def run_sharing(names: list[str]) -> dict[str, tuple[int, dict[str, int], float]]:
    running = {name: start(name) for name in names if name not in AFTER_THE_DEMO}
    build_demo_once()
    running |= {name: start(name) for name in names if name in AFTER_THE_DEMO}
    results = {}
    for name, (proc, log, started) in running.items():
        code = proc.wait()
        log.close()
        text = (LOGS / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        print(f"\n== tier {name} (exit {code}, {time.monotonic() - started:.0f} s)")
        print(text.rstrip()[-6000:] if code else "\n".join(text.splitlines()[-3:]))
        results[name] = (code, counts(text), time.monotonic() - started)
    return results


def main() -> int:
    names = sys.argv[1:2] or list(TIERS)
    unknown = set(names) - set(TIERS)
    if unknown:
        raise SystemExit(f"unknown tier {', '.join(unknown)}: choose from {', '.join(TIERS)}")
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    results = run(names)
    print("\n== tiers")
    for name, (code, found, seconds) in results.items():
        print(f"   {name:8} exit {code}  {found}  {seconds:.0f} s")
    passed = sum(found["passed"] for _, found, _ in results.values())
    failed = sum(found["failed"] + found["error"] for _, found, _ in results.values())
    ok = all(code == 0 for code, _, _ in results.values())
    print(f"{passed} passed, {failed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

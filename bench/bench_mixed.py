"""Returns submitted while people browse, on the replicas (``deploy/replicas.py``: app
processes behind HAProxy on one PostgreSQL database, started for the run).

``--uploads`` returns (corrected versions of the demo's latest returns, one per delivery
group and quarter) are submitted at once, each by a lead of its own through the Submit page in
Chromium, through the proxy (``--through pages``, the default: open the page, upload the file,
wait for its check, press Submit return, wait for the verdict), or each by ``outcomes ingest``
in a process of its own (``--through commands``), while ``--browsers`` people open the board's
overview again and again through the proxy, each as a fresh tab (the protocol client of
``bench_load.py``). Printed:

- browsing p50 and p95 with the uploads going on, and as a ratio to the same people
  browsing with nothing being submitted (same run);
- each submission's time;
- whether every verdict (status, version and every finding) equals that file's verdict
  alone (the same files submitted one by one to another copy of the demo), and whether
  every return accepted alone is stored, once.

    python bench/bench_mixed.py [--db PATH] [--uploads 10] [--browsers 40]
                                [--through pages|commands]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from bench_load import PAGES, launched, loaded, open_page, p95, quiet_session

from deploy.postgres import cluster
from metrics.core.catalogue import load_catalogue
from metrics.demo.build import write_demo_returns
from metrics.services import Store

ROOT = Path(__file__).resolve().parent.parent


def corrected_returns(folder: Path, count: int) -> list[tuple[Path, str, str]]:
    """The latest demo returns of ``count`` returns (group, quarter), each with its first
    figure's numerator one higher: a correction to submit."""
    written = write_demo_returns(load_catalogue(), folder / "demo")
    csv = [p for p in written if re.fullmatch(r"[A-Z0-9]+_\d{4}-\d{2}-Q\d\.csv", p.name)]
    latest = sorted(csv, key=lambda p: (p.stem.split("_")[1], p.stem), reverse=True)
    chosen: list[tuple[Path, str, str]] = []
    for path in latest:
        if len(chosen) == count:
            break
        group, period = path.stem.split("_", 1)
        frame = pl.read_csv(path, infer_schema=False)
        if "numerator" not in frame.columns:  # the demo's files in other layouts
            continue
        row = next(
            i
            for i, (n, d) in enumerate(zip(frame["numerator"], frame["denominator"], strict=True))
            if n and d and int(float(n)) < int(float(d))
        )
        bumped = str(int(float(frame["numerator"][row])) + 1)
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row)
            .then(pl.lit(bumped))
            .otherwise(pl.col("numerator"))
            .alias("numerator")
        )
        target = folder / f"{group}_{period}_corrected.csv"
        frame.write_csv(target)
        chosen.append((target, group, period))
    return chosen


async def submit(url: str, path: Path, group: str, period: str) -> tuple[dict, float]:
    """``outcomes ingest --json`` in a process of its own: its verdict and its time."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "metrics.cli",
        "ingest",
        str(path),
        "--group",
        group,
        "--period",
        period,
        "--json",
        cwd=ROOT,
        env={**os.environ, "OUTCOMES_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode not in (0, 2):
        raise SystemExit(f"ingest of {path.name} failed: {err.decode()}")
    found = json.loads(out)
    verdict = {k: found[k] for k in ("status", "version", "findings")}
    return verdict, time.perf_counter() - started


CHROMIUM = os.environ.get("OUTCOMES_CHROMIUM", "/usr/bin/chromium")
VERDICT = re.compile(
    r"Return accepted as submission|already received as submission|Return rejected"
)


async def submit_on_page(browser, proxy: str, path: Path, group: str, period: str) -> float:
    """A lead submitting ``path`` through the Submit page, in a browser context of their own
    (so the proxy places them as it places anyone): the time from opening the page to the
    verdict on screen."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    started = time.perf_counter()
    try:
        await page.goto(f"http://{proxy}/submit?as=lead:{group}&group={group}&quarter={period}")
        await page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
        await page.get_by_text("Checked:").first.wait_for(timeout=600_000)
        if await page.locator("textarea").count():
            raise SystemExit(f"{path.name} has a warning to explain: choose another correction")
        await page.get_by_role("button", name="Submit return").click()
        await page.get_by_text(VERDICT).first.wait_for(timeout=600_000)
    finally:
        await context.close()
    return time.perf_counter() - started


def stored_verdict(store: Store, file_name: str) -> dict:
    """A file's verdict as stored: its submission's status, version and every finding."""
    from metrics.core.access import Actor
    from metrics.services import submission_findings

    row = store.frame(
        "SELECT id, status, version FROM submissions WHERE file_name = ? ORDER BY id DESC",
        [file_name],
    ).row(0, named=True)
    findings = submission_findings(Actor.operator("bench"), store, row["id"]).select(
        "rule", "severity", "row", "column", "value", "message", "explanation", "subject"
    )
    return {"status": row["status"], "version": row["version"], "findings": findings.to_dicts()}


async def browse(url: str, people: int, until: asyncio.Event | None, rounds: int) -> list[float]:
    """``people`` opening the overview again and again: ``rounds`` times each, or until
    ``until`` is set."""
    page, query = PAGES["overview"]
    times: list[float] = []

    async def one() -> None:
        done = 0
        while (until is None and done < rounds) or (until is not None and not until.is_set()):
            times.append(await open_page(url, page, query))
            done += 1

    await asyncio.gather(*(one() for _ in range(people)))
    return times


async def run(proxy: str, url: str, files, browsers: int, through: str) -> tuple[list, list, list]:
    from playwright.async_api import async_playwright

    async with quiet_session(proxy), async_playwright() as play:
        browser = await play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        await browse(proxy, 2, None, 1)  # each replica's caches warm
        quiet = await browse(proxy, browsers, None, 3)
        finished = asyncio.Event()
        browsing = asyncio.create_task(browse(proxy, browsers, finished, 0))
        if through == "pages":
            spent = await asyncio.gather(
                *(submit_on_page(browser, proxy, p, g, q) for p, g, q in files)
            )
            submitted = [(None, t) for t in spent]
        else:
            submitted = await asyncio.gather(*(submit(url, p, g, q) for p, g, q in files))
        finished.set()
        busy = await browsing
        await browser.close()
    return quiet, busy, submitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="a demo database (default: data/outcomes.duckdb)")
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--browsers", type=int, default=40)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--through", choices=["pages", "commands"], default="pages")
    args = parser.parse_args()
    source = args.db or ROOT / "data" / "outcomes.duckdb"
    if not source.exists():
        raise SystemExit(f"no database at {source}: run 'outcomes demo' or give --db")
    with tempfile.TemporaryDirectory() as tmp, cluster() as server:
        folder = Path(tmp)
        files = corrected_returns(folder, args.uploads)
        alone_url = loaded(server, "alone", source, folder)
        alone = [asyncio.run(submit(alone_url, p, g, q))[0] for p, g, q in files]
        url = loaded(server, "shared", source, folder)
        with launched(url, args.replicas, folder) as (proxy, _pids):
            quiet, busy, submitted = asyncio.run(
                run(proxy, url, files, args.browsers, args.through)
            )
        with Store(url, read_only=True) as store:
            stored = store.frame(
                "SELECT group_code, period, count(*) AS n FROM submissions "
                "WHERE status = 'accepted' AND file_name LIKE '%_corrected.csv' GROUP BY ALL"
            )
            if args.through == "pages":  # each verdict as stored, in both databases
                submitted = [
                    (stored_verdict(store, p.name), t)
                    for (_, t), (p, _, _) in zip(submitted, files, strict=True)
                ]
                with Store(alone_url, read_only=True) as first:
                    alone = [stored_verdict(first, p.name) for p, _, _ in files]
    same = [v == a for (v, _), a in zip(submitted, alone, strict=True)]
    accepted = sum(a["status"] == "accepted" for a in alone)
    how = "through the Submit page" if args.through == "pages" else "by outcomes ingest"
    print(
        f"{args.uploads} returns submitted at once ({how}) while {args.browsers} people "
        f"browse, {args.replicas} replicas on PostgreSQL"
    )
    print(f"{'browsing the overview':<36} {'opened':>7} {'p50 s':>8} {'p95 s':>8} {'ratio':>7}")
    for name, times in (("with nothing being submitted", quiet), ("while returns go in", busy)):
        print(
            f"  {name:<34} {len(times):>7} {statistics.median(times):>8.3f} "
            f"{p95(times):>8.3f} {p95(times) / p95(quiet):>7.2f}"
        )
    spent = [t for _, t in submitted]
    print(
        f"submissions: p50 {statistics.median(spent):.1f} s, slowest {max(spent):.1f} s "
        f"(statuses: {', '.join(sorted({v['status'] for v, _ in submitted}))})"
    )
    print(f"verdicts equal to the file's verdict alone: {sum(same)} of {len(same)}")
    print(
        f"returns accepted alone: {accepted}; stored once in the shared database: "
        f"{stored.filter(pl.col('n') == 1).height}, more than once: "
        f"{stored.filter(pl.col('n') > 1).height}"
    )
    if not all(same) or stored.filter(pl.col("n") == 1).height != accepted:
        raise SystemExit("a verdict differed from the file's verdict alone, or a return was lost")


if __name__ == "__main__":
    main()

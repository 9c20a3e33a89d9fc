"""Validations running at once in threads (as Streamlit sessions do) each get exactly the
verdict they would get alone: clean and faulty returns, a child's identifier, warnings
against the group's history, and a workbook (read in its child process)."""

from __future__ import annotations

import threading

import polars as pl
import pytest

from metrics.core.findings import Finding
from metrics.core.periods import Quarter
from metrics.returns.templates import template_bytes
from metrics.returns.validation import gx_runner
from tests.helpers import bh01_history, check, csv_bytes, good_return, set_cell

pytestmark = pytest.mark.slow  # many validations at once, several rounds

THREADS = 4
ROUNDS = 2
"""Each case is validated ROUNDS times in all, spread over the threads."""


def verdict(findings: list[Finding]) -> list[tuple]:
    return [(f.rule, f.severity.value, f.row, f.column, f.value, f.message) for f in findings]


def cases(catalogue) -> list[tuple[str, str, bytes, pl.DataFrame | None]]:
    """(group, period, file, history)."""
    hcp = good_return(catalogue, "HCP", "2025-26-Q3")
    yjs = good_return(catalogue, "YJS", "2025-26-Q2")
    jumped = bh01_history(hcp, "2025-26-Q2", 0.5)  # BH01 was half as high last quarter: W01
    blank_book = template_bytes(catalogue, "HCP", Quarter.parse("2025-26-Q3"), "xlsx")
    return [
        ("HCP", "2025-26-Q3", csv_bytes(hcp), None),
        ("HCP", "2025-26-Q3", csv_bytes(set_cell(hcp, 1, "commentary", "UPN A123456789012")), None),
        ("HCP", "2025-26-Q3", csv_bytes(set_cell(hcp, 2, "numerator", "abc")), None),
        ("HCP", "2025-26-Q3", csv_bytes(hcp), jumped),
        ("YJS", "2025-26-Q2", csv_bytes(yjs), None),
        ("YJS", "2025-26-Q2", csv_bytes(set_cell(yjs, 0, "area_code", "E05999999")), None),
        ("HCP", "2025-26-Q3", blank_book, None),
    ]


def test_concurrent_validations_match_sequential(catalogue, monkeypatch):
    # every validation runs GX (no verdict remembered), so interference would show
    monkeypatch.setattr(gx_runner, "VERDICTS", gx_runner.Verdicts(size=0))
    work = cases(catalogue)

    def run(index: int) -> list[tuple]:
        group, period, data, history = work[index]
        return verdict(check(catalogue, data, group, period, history=history).findings)

    alone = [run(i) for i in range(len(work))]
    # each case gets the verdict it should, so a difference below means interference
    assert alone[0] == [] and alone[4] == []
    assert {v[0] for v in alone[1]} == {"C17"} and {v[0] for v in alone[2]} == {"C08"}
    assert {v[0] for v in alone[3]} == {"W01"} and {v[0] for v in alone[5]} == {"C04", "C16"}
    assert {v[0] for v in alone[6]} == {"C10"}  # the blank template: figures missing

    results: list[tuple[int, list[tuple]]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)
    total = ROUNDS * len(work)

    def worker(offset: int) -> None:
        start.wait()
        for n in range(offset, total, THREADS):
            index = n % len(work)
            try:
                results.append((index, run(index)))
            except BaseException as exc:  # recorded, then asserted below
                failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    assert not failures, failures[:3]
    assert len(results) == total
    differing = [index for index, found in results if found != alone[index]]
    assert differing == [], f"{len(differing)} of {len(results)} verdicts differed"


def test_a_case_checked_again_gets_the_remembered_verdict(catalogue, monkeypatch):
    """GX runs once per case; a changed cell is a new case."""
    verdicts = gx_runner.Verdicts()
    monkeypatch.setattr(gx_runner, "VERDICTS", verdicts)
    hcp = good_return(catalogue, "HCP", "2025-26-Q3")
    faulty = csv_bytes(set_cell(hcp, 2, "numerator", "abc"))
    first = verdict(check(catalogue, faulty, "HCP", "2025-26-Q3", history=None).findings)
    runs = verdicts.runs
    again = verdict(check(catalogue, faulty, "HCP", "2025-26-Q3", history=None).findings)
    assert again == first and {v[0] for v in first} == {"C08"}
    assert verdicts.runs == runs and verdicts.hits >= 2  # header and content remembered
    other = csv_bytes(set_cell(hcp, 2, "numerator", "abd"))
    changed = verdict(check(catalogue, other, "HCP", "2025-26-Q3", history=None).findings)
    assert verdicts.runs > runs and [v[4] for v in changed if v[0] == "C08"] == ["abd"]


def test_verdicts_kept_in_a_folder_are_shared_by_processes(catalogue, monkeypatch, tmp_path):
    """A second process (a fresh cache on the same folder) gets the first one's verdict
    without running GX; a file it cannot read is no verdict, and the suite runs again."""
    hcp = good_return(catalogue, "HCP", "2025-26-Q3")
    faulty = csv_bytes(set_cell(hcp, 2, "numerator", "abc"))
    first = gx_runner.Verdicts(folder=tmp_path)
    monkeypatch.setattr(gx_runner, "VERDICTS", first)
    found = verdict(check(catalogue, faulty, "HCP", "2025-26-Q3", history=None).findings)
    assert first.runs >= 2 and len(list(tmp_path.glob("*.json"))) == first.runs
    assert not list(tmp_path.glob(".*"))  # nothing left aside

    second = gx_runner.Verdicts(folder=tmp_path)
    monkeypatch.setattr(gx_runner, "VERDICTS", second)
    again = verdict(check(catalogue, faulty, "HCP", "2025-26-Q3", history=None).findings)
    assert again == found and second.runs == 0 and second.hits == first.runs

    for kept in tmp_path.glob("*.json"):
        kept.write_text('[{"rule": "C08"', encoding="utf-8")  # torn
    third = gx_runner.Verdicts(folder=tmp_path)
    monkeypatch.setattr(gx_runner, "VERDICTS", third)
    once_more = verdict(check(catalogue, faulty, "HCP", "2025-26-Q3", history=None).findings)
    assert once_more == found and third.runs == first.runs and third.hits == 0

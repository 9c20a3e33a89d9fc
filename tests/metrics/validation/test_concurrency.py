"""Validations running at once in threads (as Streamlit sessions do) each get exactly the
verdict they would get alone."""

from __future__ import annotations

import threading

from metrics.findings import Finding
from tests.helpers import check, csv_bytes, good_return, set_cell

THREADS = 4
ROUNDS = 3


def verdict(findings: list[Finding]) -> list[tuple]:
    return [(f.rule, f.severity.value, f.row, f.column, f.value, f.message) for f in findings]


def returns(catalogue) -> list[tuple[str, str, bytes]]:
    hcp = good_return(catalogue, "HCP", "2025-26-Q2")
    yjs = good_return(catalogue, "YJS", "2025-26-Q2")
    return [
        ("HCP", "2025-26-Q2", csv_bytes(hcp)),
        ("HCP", "2025-26-Q2", csv_bytes(set_cell(hcp, 1, "commentary", "UPN A123456789012"))),
        ("HCP", "2025-26-Q2", csv_bytes(set_cell(hcp, 2, "numerator", "abc"))),
        ("YJS", "2025-26-Q2", csv_bytes(yjs)),
        ("YJS", "2025-26-Q2", csv_bytes(set_cell(yjs, 0, "area_code", "E05999999"))),
    ]


def test_concurrent_validations_match_sequential(catalogue):
    cases = returns(catalogue)
    alone = [
        verdict(check(catalogue, data, group, period).findings) for group, period, data in cases
    ]
    assert alone[0] == [] and alone[3] == []  # the clean ones are clean
    assert {v[0] for v in alone[1]} == {"C17"} and {v[0] for v in alone[2]} == {"C08"}

    results: list[tuple[int, list[tuple]]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(offset: int) -> None:
        start.wait()
        for n in range(ROUNDS * len(cases) // THREADS + 1):
            index = (offset + n) % len(cases)
            group, period, data = cases[index]
            try:
                results.append((index, verdict(check(catalogue, data, group, period).findings)))
            except BaseException as exc:  # recorded, then asserted below
                failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures[:3]
    assert len(results) >= ROUNDS * len(cases)
    differing = [index for index, found in results if found != alone[index]]
    assert differing == [], f"{len(differing)} of {len(results)} verdicts differed"

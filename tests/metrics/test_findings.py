"""Findings in the order a person fixes them: a wrong code, then the rows it left missing."""

from __future__ import annotations

from metrics.core.findings import by_cause
from tests.helpers import check, good_return, set_cell


def test_missing_rows_are_put_down_to_the_row_with_the_wrong_code(catalogue):
    frame = good_return(catalogue, "HCP", "2025-26-Q2")
    frame = set_cell(frame, 2, "area_code", "E05999999")  # row 4: a mistyped area
    frame = set_cell(frame, 5, "indicator_code", "BH0l")  # row 7: a mistyped indicator
    frame = set_cell(frame, 8, "period", "2024-25-Q2")  # row 10: last year's period
    ordered = [
        (f.rule, f.row, cause and (cause.rule, cause.row))
        for f, cause in by_cause(check(catalogue, frame, "HCP", "2025-26-Q2").findings)
    ]
    assert ordered == [
        ("C04", 4, None),
        ("C16", None, ("C04", 4)),
        ("C02", 7, None),
        ("C16", None, ("C02", 7)),
        ("C06", 10, None),
        ("C16", None, ("C06", 10)),
    ]

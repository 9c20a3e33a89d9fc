"""Financial quarters and years."""

from __future__ import annotations

from datetime import date

import pytest

from metrics.core.periods import (
    PeriodError,
    PeriodType,
    Quarter,
    latest_complete_quarter,
    matching_year,
    normalise,
    period_for_return,
    previous_period,
)


def test_quarter_parsing_and_dates():
    q = Quarter.parse("2025-26 Q2")
    assert q.code == "2025-26-Q2"
    assert (q.start, q.end) == (date(2025, 7, 1), date(2025, 9, 30))
    assert Quarter.parse("202526Q4").start == date(2026, 1, 1)
    assert Quarter(2025, 4).shift(1) == Quarter(2026, 1)


@pytest.mark.parametrize("bad", ["2025-27-Q1", "2025-26-Q5", "Q1", ""])
def test_bad_quarters(bad):
    with pytest.raises(PeriodError):
        Quarter.parse(bad)


def test_annual_periods_in_returns():
    assert period_for_return(PeriodType.ACADEMIC_YEAR, Quarter(2025, 3)) == "2024-25"
    assert period_for_return(PeriodType.ACADEMIC_YEAR, Quarter(2025, 2)) == "2023-24"
    assert period_for_return(PeriodType.FINANCIAL_YEAR, Quarter(2025, 1)) == "2024-25"
    assert previous_period("2025-26-Q1", PeriodType.FINANCIAL_QUARTER, steps=4) == "2024-25-Q1"
    assert normalise("2024/25", PeriodType.FINANCIAL_YEAR) == "2024-25"


def test_latest_complete_quarter():
    assert latest_complete_quarter(date(2026, 11, 23)) == Quarter(2026, 2)
    assert latest_complete_quarter(date(2026, 4, 2)) == Quarter(2025, 4)


@pytest.mark.parametrize(
    ("period", "published", "expected"),
    [
        # a quarter meets the financial year it belongs to
        ("2024-25-Q1", ["2023-24", "2024-25"], ("2024-25", True)),
        ("2024-25-Q4", ["2023-24", "2024-25"], ("2024-25", True)),
        # a year not published yet: the latest before it, not matched
        ("2025-26-Q1", ["2023-24", "2024-25"], ("2024-25", False)),
        ("2026-27-Q2", ["2022-23", "2023-24"], ("2023-24", False)),
        # never a later year
        ("2021-22-Q3", ["2023-24", "2024-25"], (None, False)),
        # calendar-year series: the calendar year the quarter ends in
        ("2024-25-Q3", ["2024", "2025"], ("2024", True)),
        ("2024-25-Q4", ["2024", "2025"], ("2025", True)),
        ("2025-26-Q4", ["2024", "2025"], ("2025", False)),
        # annual local figures
        ("2024-25", ["2023-24", "2024-25"], ("2024-25", True)),
        ("2024-25", ["2024", "2025"], ("2025", True)),
    ],
)
def test_matching_published_year(period, published, expected):
    assert matching_year(period, published) == expected

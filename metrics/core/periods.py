"""Reporting periods: financial quarters, financial years and academic years.

Codes are short, sortable and unambiguous:

* financial quarter ``2025-26-Q2`` (Q1 = April–June, so Q2 is July–September 2025);
* financial year ``2025-26`` (April 2025 – March 2026);
* academic year ``2024-25`` (September 2024 – August 2025).

A return is always for one financial quarter. Annual indicators travel in the return of
the quarter named by their ``due_quarter``: the figure reported is the latest complete
year of the indicator's period type that ended before that quarter began.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PeriodType(StrEnum):
    """How often an indicator is measured."""

    FINANCIAL_QUARTER = "financial_quarter"
    FINANCIAL_YEAR = "financial_year"
    ACADEMIC_YEAR = "academic_year"


class PeriodError(ValueError):
    """A period code that cannot be understood."""


_QUARTER = re.compile(r"^\s*(\d{4})[-/ ]?(\d{2})[- ]?Q([1-4])\s*$", re.IGNORECASE)
_YEAR = re.compile(r"^\s*(\d{4})[-/ ]?(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter: ``year`` is the calendar year in which the financial year starts."""

    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read ``2025-26-Q2`` (also ``2025-26 Q2``, ``202526Q2``).

        >>> Quarter.parse("2025-26 Q2").code
        '2025-26-Q2'
        """
        match = _QUARTER.match(text or "")
        if not match:
            raise PeriodError(
                f"'{text}' is not a financial quarter: write it as YYYY-YY-Qn, e.g. 2025-26-Q2"
            )
        start, end, quarter = int(match[1]), int(match[2]), int(match[3])
        if (start + 1) % 100 != end:
            raise PeriodError(f"'{text}': the years {start} and {end:02d} are not consecutive")
        return cls(start, quarter)

    @property
    def code(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}-Q{self.quarter}"

    @property
    def label(self) -> str:
        months = {1: "Apr–Jun", 2: "Jul–Sep", 3: "Oct–Dec", 4: "Jan–Mar"}[self.quarter]
        return f"{self.year}-{(self.year + 1) % 100:02d} Q{self.quarter} ({months})"

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.quarter - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        nxt = self.shift(1).start
        return date.fromordinal(nxt.toordinal() - 1)

    @property
    def financial_year(self) -> str:
        return year_code(self.year)

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.quarter - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    def __str__(self) -> str:
        return self.code


def year_code(start_year: int) -> str:
    """``2025`` -> ``'2025-26'``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def parse_year(text: str) -> int:
    """Read a year code ``2025-26`` (or ``202526``) and return its first calendar year."""
    match = _YEAR.match(text or "")
    if not match:
        raise PeriodError(f"'{text}' is not a year: write it as YYYY-YY, e.g. 2024-25")
    start, end = int(match[1]), int(match[2])
    if (start + 1) % 100 != end:
        raise PeriodError(f"'{text}': the years {start} and {end:02d} are not consecutive")
    return start


def normalise(text: str, period_type: PeriodType) -> str:
    """Canonical code of ``text`` read as ``period_type``; raises :class:`PeriodError`."""
    if period_type is PeriodType.FINANCIAL_QUARTER:
        return Quarter.parse(text).code
    return year_code(parse_year(text))


def year_end(start_year: int, period_type: PeriodType) -> date:
    """Last day of a financial or academic year starting in ``start_year``."""
    if period_type is PeriodType.ACADEMIC_YEAR:
        return date(start_year + 1, 8, 31)
    return date(start_year + 1, 3, 31)


def period_for_return(period_type: PeriodType, quarter: Quarter) -> str:
    """The period an indicator of ``period_type`` reports in the return for ``quarter``.

    >>> period_for_return(PeriodType.ACADEMIC_YEAR, Quarter(2025, 3))
    '2024-25'
    >>> period_for_return(PeriodType.FINANCIAL_YEAR, Quarter(2025, 1))
    '2024-25'
    """
    if period_type is PeriodType.FINANCIAL_QUARTER:
        return quarter.code
    start = quarter.start.year
    while year_end(start, period_type) >= quarter.start:
        start -= 1
    return year_code(start)


def previous_period(code: str, period_type: PeriodType, *, steps: int = 1) -> str:
    """The period ``steps`` before ``code`` (quarters for quarterly, years for annual)."""
    if period_type is PeriodType.FINANCIAL_QUARTER:
        return Quarter.parse(code).shift(-steps).code
    return year_code(parse_year(code) - steps)


def target_year(code: str, period_type: PeriodType) -> str:
    """The year whose target applies to a period: the financial year of a quarter."""
    if period_type is PeriodType.FINANCIAL_QUARTER:
        return Quarter.parse(code).financial_year
    return code


def period_label(code: str) -> str:
    """A period as people read it: a quarter with its months, a year as it is.

    >>> period_label("2026-27-Q2"), period_label("2024-25")
    ('2026-27 Q2 (Jul–Sep)', '2024-25')
    """
    try:
        return Quarter.parse(code).label
    except (PeriodError, ValueError):
        return code


def is_period(code: str) -> bool:
    """Whether ``code`` is a quarter (``2025-26-Q2``) or a year (``2024-25``).

    >>> is_period("2025-26-Q2"), is_period("2024-25"), is_period("2025-26-Q9")
    (True, True, False)
    """
    try:
        sort_key(code)
    except (PeriodError, ValueError):
        return False
    return True


def sort_key(code: str) -> tuple[int, int]:
    """Chronological order for mixed codes (a year sorts after its quarters)."""
    if "Q" in code.upper():
        q = Quarter.parse(code)
        return (q.year, q.quarter)
    return (parse_year(code), 5)


def start_year(code: str) -> int:
    """The calendar year a period starts in: a quarter's financial year, a year code's
    first year, or a calendar year (``2025``)."""
    if "Q" in code.upper():
        return Quarter.parse(code).year
    if _is_calendar(code):
        return int(code)
    return parse_year(code)


def _is_calendar(code: str) -> bool:
    return re.fullmatch(r"\s*\d{4}\s*", code) is not None


def _comparable_year(period: str, calendar: bool) -> int:
    """The year of ``period`` to set against a published year code (its start year) or
    a published calendar year (the calendar year it ends in)."""
    if not calendar or _is_calendar(period):
        return start_year(period)
    if "Q" in period.upper():
        return Quarter.parse(period).end.year
    return parse_year(period) + 1


def matching_year(period: str, published: list[str]) -> tuple[str | None, bool]:
    """The published year to compare a local ``period`` with: the year it falls in if that
    is published (matched), or else the latest published year before it (not matched);
    ``(None, False)`` where everything published is later. A quarter falls in the
    financial year it belongs to, or in the calendar year it ends in.

    >>> matching_year("2025-26-Q2", ["2023-24", "2024-25"])
    ('2024-25', False)
    >>> matching_year("2024-25-Q4", ["2023-24", "2024-25"])
    ('2024-25', True)
    >>> matching_year("2024-25-Q4", ["2024", "2025"])
    ('2025', True)
    """
    earlier = [p for p in published if start_year(p) <= _comparable_year(period, _is_calendar(p))]
    if not earlier:
        return None, False
    best = max(earlier, key=start_year)
    return best, start_year(best) == _comparable_year(period, _is_calendar(best))


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    out = []
    current = first
    while current <= last:
        out.append(current)
        current = current.shift(1)
    return out


def latest_complete_quarter(today: date) -> Quarter:
    """The most recent financial quarter that ended before ``today``."""
    year = today.year if today.month >= 4 else today.year - 1
    current = Quarter(year, (((today.month - 4) % 12) // 3) + 1)
    return current.shift(-1)


def quarter_order(code: str | None) -> int:
    """A quarter's code as a number that sorts as the quarters do (0: no quarter).

    >>> quarter_order("2025-26-Q3") > quarter_order("2025-26-Q2") > quarter_order(None)
    True
    """
    if code is None:
        return 0
    q = Quarter.parse(code)
    return q.year * 10 + q.quarter

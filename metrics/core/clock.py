"""The one clock: every service and writer that records or compares a time asks it.

The store carries a clock (``Store.clock``) and everything above the store asks that one, so
a test sets the time once, on the store, and every service, report and page sees the same
day. The wall clock is read here and nowhere else.

``OUTCOMES_CLOCK`` (an ISO date or date-time, e.g. ``2026-11-20T10:00``) fixes the clock of a
whole process: the browser tests serve the app on a known day with it.

>>> clock = FixedClock(datetime(2026, 11, 23, 9, 30))
>>> clock.today(), clock.now().hour
(datetime.date(2026, 11, 23), 9)
>>> clock.advance(days=9).today()
datetime.date(2026, 12, 2)
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from metrics.core.settings import setting


class Clock(Protocol):
    """Tells the time: ``now`` is a naive date-time in UTC (as the store keeps times)."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    def today(self) -> date:
        return self.now().date()

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until it is moved (tests, the demo, ``OUTCOMES_CLOCK``).

    Safe to share between threads: moving it and reading it take turns.
    """

    def __init__(self, at: datetime | date):
        self._lock = threading.Lock()
        self._at = _as_datetime(at)

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def today(self) -> date:
        return self.now().date()

    def set(self, at: datetime | date) -> FixedClock:
        with self._lock:
            self._at = _as_datetime(at)
        return self

    def advance(self, **delta: float) -> FixedClock:
        """Move on by a ``timedelta``'s keywords (``days=1``, ``hours=2``)."""
        with self._lock:
            self._at += timedelta(**delta)
        return self

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


class ClockSettingError(ValueError):
    """``OUTCOMES_CLOCK`` is not a date or a date-time."""


def _as_datetime(at: datetime | date) -> datetime:
    if isinstance(at, datetime):
        return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    return datetime.combine(at, time(9, 0))


def clock_from_environment() -> Clock:
    """The process's clock: fixed where ``OUTCOMES_CLOCK`` says so, else the wall clock."""
    text = str(setting("OUTCOMES_CLOCK")).strip()
    if not text:
        return SystemClock()
    try:
        return FixedClock(datetime.fromisoformat(text))
    except ValueError:
        raise ClockSettingError(
            f"OUTCOMES_CLOCK is {text!r}: give an ISO date or date-time, e.g. 2026-11-20T10:00"
        ) from None

"""The one clock: a store tells the time by it, and every service asks the store's clock."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from metrics.core.clock import ClockSettingError, FixedClock, SystemClock, clock_from_environment
from metrics.store.connection import Store


def test_the_environment_fixes_the_clock_of_a_process(monkeypatch):
    monkeypatch.setenv("OUTCOMES_CLOCK", "2031-02-03T04:05")
    assert clock_from_environment().now() == datetime(2031, 2, 3, 4, 5)
    monkeypatch.setenv("OUTCOMES_CLOCK", "2031-02-03")
    assert clock_from_environment().today() == date(2031, 2, 3)
    monkeypatch.setenv("OUTCOMES_CLOCK", "")
    assert isinstance(clock_from_environment(), SystemClock)
    monkeypatch.setenv("OUTCOMES_CLOCK", "next Tuesday")
    with pytest.raises(ClockSettingError, match="ISO date"):
        clock_from_environment()


def test_a_time_with_a_zone_is_kept_in_utc():
    from datetime import timedelta, timezone

    summer = datetime(2026, 7, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert FixedClock(summer).now() == datetime(2026, 7, 1, 9, 0)


def test_what_the_store_records_is_stamped_by_its_clock(tmp_path):
    clock = FixedClock(datetime(2030, 5, 6, 7, 8))
    with Store(tmp_path / "c.duckdb", clock=clock) as store:
        store.record_event(actor="t", action="first")
        clock.advance(days=400)
        store.record_event(actor="t", action="second")
        stamped = store.frame(
            "SELECT action, logged_at FROM audit_log WHERE actor = 't' ORDER BY logged_at"
        )
    assert stamped.rows() == [
        ("first", datetime(2030, 5, 6, 7, 8)),
        ("second", datetime(2031, 6, 10, 7, 8)),
    ]

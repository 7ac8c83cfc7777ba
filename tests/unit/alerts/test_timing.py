"""Quiet hours, digest slots, business days and backoff as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from consumers.alerts.timing import (
    QuietHours,
    add_business_days,
    after_quiet_hours,
    backoff_delays,
    next_digest_time,
)


def test_quiet_hours_wrap_midnight():
    q = QuietHours(21, 8)
    assert q.contains(datetime(2026, 1, 1, 23)) and q.contains(datetime(2026, 1, 1, 3))
    assert not q.contains(datetime(2026, 1, 1, 8)) and not q.contains(datetime(2026, 1, 1, 20))


def test_message_in_the_evening_waits_for_the_next_morning():
    now = datetime(2026, 3, 4, 21, 30, tzinfo=UTC)
    assert after_quiet_hours(now, "UTC", QuietHours()) == datetime(2026, 3, 5, 8, tzinfo=UTC)
    early = datetime(2026, 3, 5, 5, 0, tzinfo=UTC)
    assert after_quiet_hours(early, "UTC", QuietHours()) == datetime(2026, 3, 5, 8, tzinfo=UTC)


def test_unknown_time_zone_falls_back_to_utc():
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert after_quiet_hours(now, "Mars/Olympus", QuietHours()) == now


def test_digest_after_its_hour_goes_to_tomorrow():
    now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert next_digest_time(now, "UTC", 8) == datetime(2026, 3, 5, 8, tzinfo=UTC)
    assert next_digest_time(now, "UTC", 9) == now


def test_business_days_skip_the_weekend():
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    assert add_business_days(friday, 3, "UTC") == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    assert add_business_days(saturday, 1, "UTC") == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


def test_backoff_grows_and_is_capped():
    assert backoff_delays(5, base=1, cap=5) == [1, 2, 4, 5]
    assert backoff_delays(1) == []

"""When a person should hear about something: quiet hours, digests, business days.

Pure functions of an explicit ``now``; time zones are IANA names resolved with zoneinfo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from consumers.alerts.model import Recipient


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (local hours, ``start`` inclusive, ``end`` exclusive) with no pings."""

    start: int = 21
    end: int = 8

    def contains(self, local: datetime) -> bool:
        """Whether a local wall-clock time falls in the window."""
        h = local.hour
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= h < self.end
        return h >= self.start or h < self.end


def zone(name: str | None) -> ZoneInfo:
    """The coordinator's zone; an unknown name falls back to UTC rather than losing the alert."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _at_local_hour(day: datetime, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), time(hour), tzinfo=tz)


def after_quiet_hours(now: datetime, tz_name: str | None, quiet: QuietHours) -> datetime:
    """``now`` if outside quiet hours, else when they end in the recipient's zone."""
    tz = zone(tz_name)
    local = now.astimezone(tz)
    if not quiet.contains(local):
        return now
    end = _at_local_hour(local, quiet.end, tz)
    if end <= local:
        end = _at_local_hour(local + timedelta(days=1), quiet.end, tz)
    return end.astimezone(now.tzinfo)


def next_digest_time(now: datetime, tz_name: str | None, hour: int) -> datetime:
    """The next local ``hour:00`` at or after ``now``."""
    tz = zone(tz_name)
    local = now.astimezone(tz)
    at = _at_local_hour(local, hour, tz)
    if at < local:
        at = _at_local_hour(local + timedelta(days=1), hour, tz)
    return at.astimezone(now.tzinfo)


def delivery_slot(
    now: datetime, who: Recipient, quiet: QuietHours, *, bypass_digest: bool = False
) -> tuple[datetime, str | None]:
    """When to deliver to ``who`` and, for daily-digest readers, which digest it joins."""
    if who.digest == "daily" and not bypass_digest:
        at = next_digest_time(now, who.time_zone, who.digest_hour)
        local_day = at.astimezone(zone(who.time_zone)).date().isoformat()
        return at, f"digest:{who.coordinator_id}:{local_day}"
    return after_quiet_hours(now, who.time_zone, quiet), None


def add_business_days(start: datetime, days: int, tz_name: str | None) -> datetime:
    """``start`` moved forward by ``days`` Monday–Friday days in the given zone."""
    tz = zone(tz_name)
    local = start.astimezone(tz)
    added = 0
    while added < days:
        local = datetime.combine(local.date() + timedelta(days=1), local.timetz())
        if local.weekday() < 5:
            added += 1
    return local.astimezone(start.tzinfo)


def backoff_delays(attempts: int, base: float = 1.0, cap: float = 60.0) -> list[float]:
    """Pauses between ``attempts`` delivery tries: exponential from ``base``, capped."""
    return [min(cap, base * 2**i) for i in range(max(0, attempts - 1))]

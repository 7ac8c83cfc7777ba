"""Checks on the moments commands carry: event time must be timezone-aware."""

from __future__ import annotations

from datetime import datetime

from domain.errors import InvalidCommand


def aware(now: datetime) -> datetime:
    """Refuse naive datetimes: event time must be unambiguous."""
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise InvalidCommand(f"time {now!r} must be a timezone-aware datetime")
    return now

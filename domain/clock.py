"""The Clock aggregate: time as data, so silence is judged the same way on replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventsourcing.domain import Aggregate

from domain.ids import CLOCK_ID
from domain.records import ReplacedRecords

TICK_EVERY = timedelta(hours=6)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def boundary_at_or_before(now: datetime, every: timedelta = TICK_EVERY) -> datetime:
    """The last whole tick boundary (UTC, counted from the epoch) not after ``now``."""
    return _EPOCH + ((now - _EPOCH) // every) * every


class Clock(ReplacedRecords, Aggregate):
    """The one clock; it only ever moves forward, one tick per crossed boundary."""

    @classmethod
    def start(cls, now: datetime) -> Clock:
        """Start the clock at the boundary before ``now`` (no tick yet)."""
        return cls._create(cls.Started, id=CLOCK_ID, timestamp=now, at=None)

    def tick(self, now: datetime, every: timedelta = TICK_EVERY) -> bool:
        """Record a tick if ``now`` reached a boundary after the last tick; never go back."""
        boundary = boundary_at_or_before(now, every)
        if self.last_tick is not None and boundary <= self.last_tick:
            return False
        self.trigger_event(self.Ticked, timestamp=now, at=boundary)
        return True

    class Started(Aggregate.Created):
        """The application started the clock (internal bookkeeping; not a public event)."""

        at: datetime | None

        def apply(self, clock: Clock) -> None:
            clock.last_tick = self.at

    class Ticked(Aggregate.Event):
        """Event time reached the boundary ``at``; ingest or ``peerpulse clock`` emits it."""

        at: datetime

        def apply(self, clock: Clock) -> None:
            clock.last_tick = self.at

"""The Clock aggregate: time as data, so silence is judged the same way on replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventsourcing.domain import Aggregate

from domain.ids import CLOCK_ID
from domain.records import ReplacedRecords

TICK_EVERY = timedelta(hours=6)
MAX_TICKS = 366 * 4
"""Most ticks one call records (a year of 6-hour boundaries); see decision 0012."""
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
        return self.tick_through(now, 1, every) == 1

    def tick_through(self, now: datetime, limit: int, every: timedelta = TICK_EVERY) -> int:
        """Record one tick per boundary crossed since the last tick, up to ``now``.

        At most ``limit`` ticks: after a longer gap only the newest ``limit`` boundaries
        are recorded (the skipped ones saw no event time pass in steps anyway). Each
        tick's timestamp is its boundary, the newest one's is ``now``. Returns how many.
        """
        last = boundary_at_or_before(now, every)
        if self.last_tick is not None and last <= self.last_tick:
            return 0
        first = last if self.last_tick is None else self.last_tick + every
        count = min(max(1, limit), (last - first) // every + 1)
        for at in (last - (count - 1 - i) * every for i in range(count)):
            self.trigger_event(self.Ticked, timestamp=now if at == last else at, at=at)
        return count

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

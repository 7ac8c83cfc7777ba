"""The event-time watermark of a topic that several ingest processes divide (decision 0024).

One process knows only its own partitions (:class:`~consumers.ingest.watermark.Watermark`).
Each one therefore writes its partitions' state to a row per partition in the event store's
database — lagging or caught up, the newest event time applied, the newest seen — and reads
the others' rows when it ticks. The topic's watermark is then what one process owning every
partition would compute (decision 0012): the oldest progress among lagging partitions, held
back by any partition nobody has reported on or whose owner has applied nothing yet; when
none lags, the newest event time seen anywhere.

A row is written under the epoch its writer claimed the partition with (the tracking word,
:mod:`consumers.ingest.positions`) and only takes a write of the same or a newer epoch, so a
process that lost the partition cannot overwrite its new owner's row. Rows lag behind their
owners (they are written after each commit): that only holds time back, never runs it ahead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from consumers.ingest.watermark import Partition, Watermark
from infra.migrations.catalogue import INGEST_WATERMARKS

Highwater = Callable[[Partition], int | None]

_UPSERT = (
    f"INSERT INTO {INGEST_WATERMARKS} AS w"
    " (topic, partition, epoch, lagging, applied_until, seen, updated_at, owner_pid, owner_host)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (topic, partition) DO UPDATE SET epoch = excluded.epoch,"
    " lagging = excluded.lagging, applied_until = excluded.applied_until,"
    " seen = excluded.seen, updated_at = excluded.updated_at,"
    " owner_pid = excluded.owner_pid, owner_host = excluded.owner_host"
    " WHERE w.epoch <= excluded.epoch"
)
_ROWS = f"SELECT partition, lagging, applied_until, seen FROM {INGEST_WATERMARKS} WHERE topic = %s"

_OWNERS = f"SELECT partition, owner_pid, owner_host FROM {INGEST_WATERMARKS} WHERE topic = %s"


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class SharedWatermark:
    """The rows of one topic's partitions, on an autocommit connection of its own."""

    def __init__(self, connect: Callable[[], Any], topic: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:  # fmt: skip
        self._connect, self.topic, self.clock = connect, topic, clock
        self._conn: Any = None

    def _connection(self) -> Any:
        if self._conn is None or getattr(self._conn, "closed", False):
            self._conn = self._connect()
        return self._conn

    def publish(self, watermark: Watermark, epochs: dict[Partition, int],
                highwater: Highwater) -> None:  # fmt: skip
        """Write the state of every partition of the topic this process owns."""
        mine = [tp for tp in watermark.assigned if tp.topic == self.topic]
        if not mine:
            return
        lagging = set(watermark.lagging(highwater))
        now, seen = _text(self.clock()), _text(watermark.seen)
        me = (os.getpid(), socket.gethostname())
        rows = [(self.topic, tp.partition, epochs.get(tp, 0), tp in lagging,
                 _text(watermark.times.get(tp)), seen, now, *me) for tp in mine]  # fmt: skip
        with self._connection().cursor() as cur:
            cur.executemany(_UPSERT, rows)

    def value(self, watermark: Watermark, highwater: Highwater,
              partitions: Iterable[int]) -> datetime | None:  # fmt: skip
        """How far event time has safely advanced on the whole topic, or None.

        ``watermark`` is this process's own state (fresher than its rows); the other
        partitions of ``partitions`` come from the rows their owners wrote.
        """
        everything = set(partitions)
        own = {tp.partition for tp in watermark.assigned if tp.topic == self.topic}
        with self._connection().cursor() as cur:
            cur.execute(_ROWS, (self.topic,))
            others = {p: row for p, *row in cur.fetchall() if p in everything and p not in own}
        if not everything or own | others.keys() < everything:
            return None  # a partition nobody has reported on: its history may start anywhere
        lagging = [watermark.times.get(tp) for tp in watermark.lagging(highwater)]
        lagging += [_moment(until) for lags, until, _seen in others.values() if lags]
        if any(t is None for t in lagging):
            return None
        if lagging:
            return min(t for t in lagging if t is not None)
        seen = [watermark.seen, *(_moment(s) for _lags, _until, s in others.values())]
        known = [t for t in seen if t is not None]
        return max(known) if known else None

    def owners(self) -> dict[int, tuple[int | None, str | None]]:
        """``{partition: (pid, host)}`` of the process that last wrote each row."""
        with self._connection().cursor() as cur:
            cur.execute(_OWNERS, (self.topic,))
            return {p: (pid, host) for p, pid, host in cur.fetchall()}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

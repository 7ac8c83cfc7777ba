"""Where a backtest's events come from: the public events topic or the event store.

Both yield decoded :class:`~projections.fold.envelope.Envelope` values and know their
``total`` up front (for the progress bar); a record that does not decode is skipped and
counted in ``skipped``, as the live worker quarantines it.

- :class:`TopicSource` reads every partition from its beginning to the end offsets seen
  when iteration starts (like ``peerpulse rebuild``). Each partition's order is kept;
  partitions are interleaved by event time (a k-way merge with bounded buffers), so
  every group is judged in order and the daily samples see all partitions together.
- :class:`StoreSource` reads the notification log through the relay's own
  :class:`~infra.relay_reader.Translator` — the records the relay would publish — as one
  partition.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

from kafka import TopicPartition

from infra.kafka import consumer, end_offsets
from infra.relay_quarantine import QUARANTINED
from infra.relay_reader import Translator
from projections.fold.envelope import Envelope, UndecodableEvent, decode

BUFFERED = 20_000
"""Records held per partition before it is paused while the others catch up."""
FETCH = {"fetch_max_bytes": 64 << 20, "max_partition_fetch_bytes": 16 << 20}


class TopicSource:
    """The events topic from its beginning to its current end."""

    def __init__(self, bootstrap: str, topic: str, *, stall_timeout: float = 60.0) -> None:
        self.bootstrap, self.topic, self.stall_timeout = bootstrap, topic, stall_timeout
        self.skipped = 0
        self._consumer = consumer(bootstrap, None, **FETCH)
        parts = self._consumer.partitions_for_topic(topic)
        if not parts:
            self._consumer.close(autocommit=False)
            raise LookupError(f"topic {topic} does not exist or has no partitions")
        self._tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self._ends = end_offsets(bootstrap, self._tps)
        self._starts = self._consumer.beginning_offsets(self._tps)
        self.total = sum(max(0, self._ends[tp] - self._starts[tp]) for tp in self._tps)

    def __iter__(self) -> Iterator[Envelope]:
        try:
            yield from heapq.merge(*self._partitions(), key=lambda ev: ev.time)
        finally:
            self.close()

    def close(self) -> None:
        """Close the consumer (iterating to the end closes it too)."""
        self._consumer.close(autocommit=False)

    def _partitions(self) -> list[Iterator[Envelope]]:
        c = self._consumer
        c.assign(self._tps)
        for tp in self._tps:
            c.seek(tp, self._starts[tp])
        buffers = {tp: deque[Envelope]() for tp in self._tps}
        reached = {tp for tp in self._tps if self._starts[tp] >= self._ends[tp]}
        c.pause(*reached)
        return [self._drain(tp, buffers, reached) for tp in self._tps]

    def _drain(self, tp: TopicPartition, buffers: dict, reached: set) -> Iterator[Envelope]:
        """One partition's envelopes in offset order, fetching (all partitions) as needed."""
        buffer = buffers[tp]
        while True:
            if buffer:
                yield buffer.popleft()
                if len(buffer) < BUFFERED // 2 and tp not in reached:
                    self._consumer.resume(tp)
            elif tp in reached:
                return
            else:
                self._fetch(buffers, reached)

    def _fetch(self, buffers: dict, reached: set) -> None:
        deadline = time.monotonic() + self.stall_timeout
        while True:
            polled = self._consumer.poll(timeout_ms=500, max_records=5000)
            if polled:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no records from {self.topic} for {self.stall_timeout:.0f} s")
        for tp, records in polled.items():
            end = self._ends[tp]
            for r in records:
                if r.offset < end:
                    self._append(buffers[tp], r)
            if records and records[-1].offset + 1 >= end:
                reached.add(tp)
                self._consumer.pause(tp)
            elif len(buffers[tp]) >= BUFFERED:
                self._consumer.pause(tp)

    def _append(self, buffer: deque[Envelope], r: Any) -> None:
        try:
            buffer.append(decode(r.value, r.headers, r.partition, r.offset))
        except UndecodableEvent:
            self.skipped += 1


class StoreSource:
    """The event store's notification log, translated as the relay would publish it."""

    def __init__(self, app: Any, *, batch: int = 2000) -> None:
        """``app``: an EngagementApp on the store (built by the composition root)."""
        self.translator, self.batch = Translator(app), batch
        self.total = app.recorder.max_notification_id() or 0
        self.skipped = 0

    def __iter__(self) -> Iterator[Envelope]:
        position = 1
        while True:
            read = self.translator.read(position, self.batch)
            for notification_id, _key, value, headers, partition in read.records:
                if partition == QUARANTINED:
                    self.skipped += 1
                    continue
                try:
                    yield decode(value, headers, 0, notification_id)
                except UndecodableEvent:
                    self.skipped += 1
            if read.read < self.batch:
                return
            position = read.next_position

"""The outbox relay (``peerpulse relay``): event-store notification log -> ``peerpulse.events.v1``.

A reader (:mod:`infra.relay_reader`, in a child process) reads stored events in
notification order and translates each to its public wire record (:mod:`infra.contract`);
this process publishes them with acks=all from one idempotent producer with one request in
flight, so every partition receives its records in position order. Where it left off
comes from the topic (:mod:`infra.relay_positions`), never from local state: a crash
mid-batch, or a broker that lost everything, costs nothing but a re-read. See
docs/decisions/0007-outbox-relay.md and 0014-relay-reader-process.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from infra import metrics
from infra.contract.translate import EVERY_PARTITION
from infra.errors import UserFacingError, one_line
from infra.relay_positions import partition_for, resume_position, watermarks
from infra.relay_reader import Batch, ReaderFailed, UndecodableEvent
from infra.topics import EVENTS

log = logging.getLogger(__name__)

PRODUCER_CONFIG: dict[str, Any] = {
    "max_in_flight_requests_per_connection": 1,
    "linger_ms": 50,
    "batch_size": 512 * 1024,
    "max_request_size": 4 * 1024 * 1024,
}
"""On top of infra.kafka.producer's acks=all + idempotence: one request in flight keeps
each partition a gap-free prefix even when a request fails (the relay then stops)."""
MAX_PENDING = 20_000
"""Unacknowledged records at most before the relay waits for the broker."""


class PublishFailed(UserFacingError):
    """The broker did not acknowledge a record; the relay stops and resumes from the topic."""

    exit_code = 4


class BrokerLostData(UserFacingError):
    """The broker handed out an offset it had already given: it lost the topic under us."""

    exit_code = 4


class Relay:
    """Publishes every stored domain event exactly once per partition, in order."""

    def __init__(
        self,
        reader: Any,
        producer: Any,
        bootstrap: str,
        topic: str = EVENTS.name,
        *,
        partitions: int = 3,
        batch_size: int = 2000,
        poll_interval: float = 0.2,
    ) -> None:
        """``reader``: a :class:`infra.relay_reader.ReaderProcess`; ``producer``: makes the
        kafka-python producer (called once the reader has opened the store)."""
        self.reader, self.bootstrap, self.topic = reader, bootstrap, topic
        self._make_producer: Callable[[], Any] = producer
        self._producer: Any = None
        self.partitions, self.batch_size, self.poll_interval = partitions, batch_size, poll_interval
        self.marks: dict[int, int] = {}
        self.next_position = 1
        self._offsets: dict[int, int] = {}
        self._pending: deque[tuple[Any, int]] = deque()
        self._behind_since: float | None = None
        self._stopping = threading.Event()

    @property
    def producer(self) -> Any:
        """The producer, made on first use."""
        if self._producer is None:
            self._producer = self._make_producer()
        return self._producer

    def close(self) -> None:
        """Stop the reader; flush and close the producer if there is one."""
        self.reader.close()
        if self._producer is not None:
            self._producer.close(timeout=10)

    def start(self) -> None:
        """Open the store, make sure the topic exists, find where each partition left off,
        start reading. The store comes first: if it cannot be read, no Kafka client was made.
        """
        from infra.broker_probe import wait_for_kafka
        from infra.topics import create_topics

        head = self.reader.open()
        wait_for_kafka(self.bootstrap)  # one clear line, not a client's 30 s bootstrap timeout
        create_topics(self.bootstrap, self.partitions, (replace(EVENTS, name=self.topic),))
        self.partitions = len(self.producer.partitions_for(self.topic))
        self.marks = watermarks(self.bootstrap, self.topic, self.partitions)
        self.next_position = resume_position(self.marks)
        self.reader.start(self.next_position, self.batch_size, self.poll_interval)
        log.info(
            "relay %s: partitions at positions %s; resuming from %d (store head %d)",
            self.topic,
            self.marks,
            self.next_position,
            head,
        )

    def stop(self) -> None:
        """Finish the batch in hand, then return from :meth:`run` (SIGTERM handler)."""
        self._stopping.set()

    def run(self, *, until_caught_up: bool = False) -> int:
        """Relay until stopped (or, with ``until_caught_up``, until nothing is left)."""
        self.start()
        published = 0
        while not self._stopping.is_set():
            outcome = self.publish_batch(timeout=0.5)
            if outcome is None:
                continue
            read, sent = outcome
            published += sent
            if read < self.batch_size and until_caught_up:
                break
        self._settle(wait=True)
        return published

    def publish_batch(self, timeout: float | None = None) -> tuple[int, int] | None:
        """Send the next batch the reader hands over; returns (notifications read, events sent).

        None when no batch arrived within ``timeout`` seconds. Records are acknowledged in
        the background while the reader reads on; a short batch (caught up) or too many
        unacknowledged records waits for every ack.
        """
        batch: Batch | None = self.reader.next(timeout)
        if batch is None:
            return None
        sent = 0
        for position, key, value, headers, partition in batch.records:
            sent += self._send(position, key, value, headers, partition)
        self.next_position = batch.next_position
        if batch.undecodable:
            self._settle(wait=True)
            raise UndecodableEvent(batch.undecodable)
        self._settle(wait=batch.read < self.batch_size or len(self._pending) > MAX_PENDING)
        self._measure_lag(batch.head)
        return batch.read, sent

    def _send(
        self,
        position: int,
        key: bytes,
        value: bytes,
        headers: list[tuple[str, bytes]],
        partition: int | None,
    ) -> int:
        if partition == EVERY_PARTITION:
            targets: Any = range(self.partitions)
        else:
            targets = (partition_for(key, self.partitions),)
        first = 1
        for target in targets:
            if self.marks.get(target, 0) >= position:
                continue
            future = self.producer.send(
                self.topic, value=value, key=key, headers=headers, partition=target
            )
            self._pending.append((future, first))
            first = 0
        return 1 - first

    def _settle(self, *, wait: bool) -> None:
        """Check acknowledged records in send order (all of them after a flush)."""
        if wait and self._pending:
            self.producer.flush()
        acked = 0
        pending = self._pending
        while pending and pending[0][0].is_done:
            future, counts = pending.popleft()
            if future.failed():
                raise PublishFailed(f"publishing to {self.topic}: {one_line(future.exception)}")
            partition, offset = future.value.partition, future.value.offset
            if offset <= self._offsets.get(partition, -1):
                raise BrokerLostData(
                    f"{self.topic}[{partition}] offset went back to {offset}: the broker lost "
                    "its data; restart the relay to refill the topic from the event store"
                )
            self._offsets[partition] = offset
            acked += counts
        metrics.RELAY_PUBLISHED.inc(acked)

    def _measure_lag(self, head: int) -> None:
        behind = max(0, head - (self.next_position - 1))
        metrics.RELAY_LAG_EVENTS.set(behind)
        if behind == 0:
            self._behind_since = None
        elif self._behind_since is None:
            self._behind_since = time.monotonic()
        since = self._behind_since
        metrics.RELAY_LAG_SECONDS.set(0.0 if since is None else time.monotonic() - since)


__all__ = ["BrokerLostData", "PublishFailed", "ReaderFailed", "Relay", "UndecodableEvent"]

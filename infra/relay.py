"""The outbox relay (``peerpulse relay``): event-store notification log -> ``peerpulse.events.v1``.

A reader (:mod:`infra.relay_reader`, in a child process) reads stored events in
notification order and translates each to its public wire record (:mod:`infra.contract`);
this process publishes them with acks=all from one idempotent producer with one request in
flight, so every partition receives its records in position order. Where it left off
comes from the topic (:mod:`infra.relay_positions`), never from local state: a crash
mid-batch, or a broker that lost everything, costs nothing but a re-read. A stored event
that cannot be translated goes to the relay's DLQ (:mod:`infra.relay_quarantine`); a broker
that goes away is waited for and its topic refilled (:mod:`infra.relay_recovery`). See
docs/decisions/0007-outbox-relay.md and 0014-relay-reader-process.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from infra import metrics
from infra.errors import one_line
from infra.relay_positions import dlq_watermark, resume_position, watermarks
from infra.relay_publisher import Publisher
from infra.relay_quarantine import dlq_topic_for
from infra.relay_reader import Batch, ReaderFailed
from infra.relay_recovery import (
    MAX_FRUITLESS,
    BrokerLostData,
    PublishFailed,
    is_broker_trouble,
    retry_until_back,
)
from infra.topics import EVENTS, EVENTS_DLQ

log = logging.getLogger(__name__)

PRODUCER_CONFIG: dict[str, Any] = {
    "max_in_flight_requests_per_connection": 1,
    "linger_ms": 50,
    "batch_size": 512 * 1024,
    "max_request_size": 4 * 1024 * 1024,
    "allow_auto_create_topics": False,
}
"""On top of infra.kafka.producer's acks=all + idempotence: one request in flight keeps
each partition a gap-free prefix even when a request fails (the relay then re-reads the
topic). Auto-creation off (a restarted broker should not make the topic with its own
defaults; Tansu does so anyway, decision 0004 quirk 7, and the relay then uses its count)."""
MAX_PENDING = 20_000
"""Unacknowledged records at most before the relay waits for the broker."""
BROKER_WAIT = 600.0
"""Seconds the relay waits for a lost broker before it stops (exit 4) for its supervisor."""


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
        dlq_topic: str | None = None,
        broker_wait: float = BROKER_WAIT,
    ) -> None:
        """``reader``: a :class:`infra.relay_reader.ReaderProcess`; ``producer``: makes the
        kafka-python producer (called once the reader has opened the store); ``dlq_topic``:
        where quarantined events go (default :func:`infra.relay_quarantine.dlq_topic_for`)."""
        self.reader, self.bootstrap, self.topic = reader, bootstrap, topic
        self.dlq_topic = dlq_topic or dlq_topic_for(topic)
        self.broker_wait = broker_wait
        self.out = Publisher(producer, topic, self.dlq_topic)
        self.partitions, self.batch_size, self.poll_interval = partitions, batch_size, poll_interval
        self.next_position = 1
        self.behind = 0
        """Stored events not yet handed to the producer, at the last batch (0 while the
        relay waits for a lost broker: that wait is bounded on its own)."""
        self._behind_since: float | None = None
        self._stopping = threading.Event()
        self.fence: Callable[[], None] | None = None
        """Called before every batch is sent: ends the process when the relay's lock is no
        longer surely held (:meth:`infra.lock_lease.Lease.check`; decision 0022)."""

    def close(self) -> None:
        """Stop the reader; flush and close the producer if there is one."""
        self.reader.close()
        self.out.close()

    def start(self) -> None:
        """Open the store, make sure the topics exist, find where each partition left off,
        start reading. The store comes first: if it cannot be read, no Kafka client was made.
        """
        head = self.reader.open()
        self._find_position()
        self.reader.start(self.next_position, self.batch_size, self.poll_interval)
        log.info(
            "relay %s: partitions at positions %s; resuming from %d (store head %d)",
            self.topic,
            self.out.marks,
            self.next_position,
            head,
        )

    def _find_position(self) -> int:
        """Create the topics if missing; read every partition's watermark and the DLQ's;
        returns where to resume."""
        from infra.broker_probe import wait_for_kafka
        from infra.topics import create_topics

        wait_for_kafka(self.bootstrap)  # one clear line, not a client's 30 s bootstrap timeout
        topics = (replace(EVENTS, name=self.topic), replace(EVENTS_DLQ, name=self.dlq_topic))
        create_topics(self.bootstrap, self.partitions, topics)
        self.partitions = len(self.out.producer.partitions_for(self.topic))
        self.out.partitions = self.partitions
        self.out.marks = watermarks(self.bootstrap, self.topic, self.partitions)
        self.out.dlq_mark = dlq_watermark(self.bootstrap, self.dlq_topic)
        self.next_position = resume_position(self.out.marks)
        return self.next_position

    def _recover(self, cause: Exception) -> None:
        """The broker went away or came back empty: drop the producer, wait for the broker
        with a bounded back-off, find the position again from the topic, read from there."""
        reason = one_line(cause)
        self.out.fruitless += 1
        if self.out.fruitless > MAX_FRUITLESS:
            raise PublishFailed(
                f"publishing to {self.topic} failed again after {MAX_FRUITLESS} recoveries "
                f"without one acknowledged record: {reason}"
            ) from cause
        log.warning("relay %s: lost the broker (%s); waiting for it", self.topic, reason)
        metrics.RELAY_RECOVERIES.inc()
        lost, self.behind = time.monotonic(), 0
        self.reader.close()
        self.out.drop()
        found = retry_until_back(
            self._find_position, self._stopping, self.broker_wait, reason, self.out.drop
        )
        if found is None:
            return
        self.reader.open()
        self.reader.start(self.next_position, self.batch_size, self.poll_interval)
        log.info(
            "relay %s: the broker is back after %.1f s; partitions at positions %s; "
            "resuming from %d",
            self.topic,
            time.monotonic() - lost,
            self.out.marks,
            self.next_position,
        )

    def stop(self) -> None:
        """Finish the batch in hand, then return from :meth:`run` (SIGTERM handler)."""
        self._stopping.set()

    def run(self, *, until_caught_up: bool = False) -> int:
        """Relay until stopped (or, with ``until_caught_up``, until nothing is left)."""
        self.start()
        published = 0
        while not self._stopping.is_set():
            try:
                outcome = self.publish_batch(timeout=0.5)
            except Exception as exc:
                if not is_broker_trouble(exc):
                    raise
                self._recover(exc)
                continue
            if outcome is None:
                continue
            read, sent = outcome
            published += sent
            if read < self.batch_size and until_caught_up:
                break
        try:
            self.out.settle(wait=True)
        except Exception as exc:
            if not is_broker_trouble(exc):
                raise
            log.warning("relay %s: stopping without the last acks (%s)", self.topic, one_line(exc))
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
        if self.fence is not None:
            self.fence()
        sent = sum(self.out.send(record) for record in batch.records)
        self.next_position = batch.next_position
        self.out.settle(wait=batch.read < self.batch_size or self.out.pending > MAX_PENDING)
        self._measure_lag(batch.head)
        return batch.read, sent

    def _measure_lag(self, head: int) -> None:
        behind = self.behind = max(0, head - (self.next_position - 1))
        metrics.RELAY_LAG_EVENTS.set(behind)
        if behind == 0:
            self._behind_since = None
        elif self._behind_since is None:
            self._behind_since = time.monotonic()
        since = self._behind_since
        metrics.RELAY_LAG_SECONDS.set(0.0 if since is None else time.monotonic() - since)


__all__ = ["BrokerLostData", "PublishFailed", "ReaderFailed", "Relay"]

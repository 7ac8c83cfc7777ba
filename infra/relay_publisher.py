"""The relay's producing half: one idempotent producer, the skip rule, the acknowledgement checks.

A :class:`Publisher` sends each record the reader hands over to the partition it belongs
to — unless that partition's watermark says it is there already — and a quarantine record
to partition 0 of the relay's DLQ unless the DLQ's watermark says so
(:mod:`infra.relay_positions`). It checks acknowledgements in send order: a failed record,
or an offset that went back, raises for :class:`infra.relay.Relay` to judge
(:func:`infra.relay_recovery.is_broker_trouble`). See docs/decisions/0007-outbox-relay.md.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from infra import metrics
from infra.contract.translate import EVERY_PARTITION
from infra.errors import one_line
from infra.relay_positions import DLQ_PARTITION, partition_for
from infra.relay_quarantine import QUARANTINED, REASON_HEADER, header
from infra.relay_reader import Record
from infra.relay_recovery import BrokerLostData, PublishFailed

log = logging.getLogger("infra.relay")


class Publisher:
    """Sends relay records exactly once per partition, in order, and checks their acks."""

    def __init__(self, make_producer: Callable[[], Any], topic: str, dlq_topic: str) -> None:
        """``make_producer``: makes the kafka-python producer on first use."""
        self._make_producer, self.topic, self.dlq_topic = make_producer, topic, dlq_topic
        self._producer: Any = None
        self.partitions = 0
        self.marks: dict[int, int] = {}
        """Each partition's watermark when the relay (re)started."""
        self.dlq_mark = 0
        """The DLQ's watermark when the relay (re)started."""
        self.fruitless = 0
        """Producers dropped since the last acknowledged record."""
        self._offsets: dict[tuple[str, int], int] = {}
        self._pending: deque[tuple[Any, int]] = deque()

    @property
    def producer(self) -> Any:
        """The producer, made on first use."""
        if self._producer is None:
            self._producer = self._make_producer()
        return self._producer

    @property
    def pending(self) -> int:
        """Records sent and not yet checked."""
        return len(self._pending)

    def close(self) -> None:
        """Flush and close the producer if there is one."""
        if self._producer is not None:
            self._producer.close(timeout=10)

    def drop(self) -> None:
        """Close the producer at once (its unacknowledged records are re-read from the topic)."""
        producer, self._producer = self._producer, None
        self._pending.clear()
        self._offsets.clear()
        if producer is not None:
            try:
                producer.close(timeout=0)
            except Exception as exc:  # a producer of a lost broker may fail to close
                log.debug("closing the producer: %s", one_line(exc))

    def send(self, record: Record) -> int:
        """Send one record where it belongs unless it is there already; returns 1 if it
        counts as a published event (a tick once, whatever its partitions), else 0."""
        position, key, value, headers, partition = record
        if partition == QUARANTINED:
            return self._quarantine(position, key, value, headers)
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

    def _quarantine(
        self, position: int, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> int:
        """Send a stored event the reader could not translate to the DLQ, once."""
        if self.dlq_mark >= position:
            return 0
        future = self.producer.send(
            self.dlq_topic, value=value, key=key, headers=headers, partition=DLQ_PARTITION
        )
        self._pending.append((future, 0))
        metrics.RELAY_QUARANTINED.inc()
        log.error(
            "relay %s: quarantined stored event at notification id %d (%s) on %s: %s",
            self.topic,
            position,
            header(headers, "pp-stored-type"),
            self.dlq_topic,
            header(headers, REASON_HEADER),
        )
        return 0

    def settle(self, *, wait: bool) -> None:
        """Check acknowledged records in send order (all of them after a flush)."""
        if wait and self._pending:
            self.producer.flush()
        acked = 0
        pending = self._pending
        while pending and pending[0][0].is_done:
            future, counts = pending.popleft()
            if future.failed():
                raise PublishFailed(
                    f"publishing to {self.topic}: {one_line(future.exception)}"
                ) from future.exception
            where, offset = (future.value.topic, future.value.partition), future.value.offset
            if offset <= self._offsets.get(where, -1):
                raise BrokerLostData(
                    f"{where[0]}[{where[1]}] offset went back to {offset}: the broker lost "
                    "its data; the relay refills the topic from the event store"
                )
            self._offsets[where] = offset
            self.fruitless = 0
            acked += counts
        metrics.RELAY_PUBLISHED.inc(acked)

"""The outbox relay (``peerpulse relay``): event-store notification log -> ``peerpulse.events.v1``.

It reads stored events in notification order, translates each to its public wire record
(:mod:`infra.contract`) and publishes with acks=all from one idempotent producer with one
request in flight, so every partition receives its records in position order. Where it
left off comes from the topic (:mod:`infra.relay_positions`), never from local state: a
crash mid-batch, or a broker that lost everything, costs nothing but a re-read. See
docs/decisions/0007-outbox-relay.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import replace
from typing import Any
from uuid import UUID

from infra import metrics
from infra.contract.translate import EVERY_PARTITION, NOT_PUBLISHED, to_wire
from infra.errors import UserFacingError
from infra.relay_positions import partition_for, resume_position, watermarks
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


class UndecodableEvent(UserFacingError):
    """A stored event cannot be decoded or translated; the relay stops rather than skip it."""

    exit_code = 3


class PublishFailed(UserFacingError):
    """The broker did not acknowledge a record; the relay stops and resumes from the topic."""

    exit_code = 4


class BrokerLostData(UserFacingError):
    """The broker handed out an offset it had already given: it lost the topic under us."""

    exit_code = 4


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


class Relay:
    """Publishes every stored domain event exactly once per partition, in order."""

    def __init__(
        self,
        app: Any,
        producer: Any,
        bootstrap: str,
        topic: str = EVENTS.name,
        *,
        partitions: int = 3,
        batch_size: int = 2000,
        poll_interval: float = 0.2,
    ) -> None:
        """``app``: the EngagementApp (recorder + mapper); ``producer``: a kafka-python one."""
        self.app, self.producer, self.bootstrap, self.topic = app, producer, bootstrap, topic
        self.partitions, self.batch_size, self.poll_interval = partitions, batch_size, poll_interval
        self.marks: dict[int, int] = {}
        self.next_position = 1
        self._programs: dict[UUID, UUID] = {}
        self._offsets: dict[int, int] = {}
        self._pending: deque[tuple[Any, int]] = deque()
        self._behind_since: float | None = None
        self._stopping = threading.Event()

    def close(self) -> None:
        """Flush and close the producer."""
        self.producer.close(timeout=10)

    def start(self) -> None:
        """Make sure the topic exists, then find where each partition left off."""
        from infra.topics import create_topics

        create_topics(self.bootstrap, self.partitions, (replace(EVENTS, name=self.topic),))
        self.partitions = len(self.producer.partitions_for(self.topic))
        self.marks = watermarks(self.bootstrap, self.topic, self.partitions)
        self.next_position = resume_position(self.marks)
        log.info(
            "relay %s: partitions at positions %s; resuming from %d",
            self.topic,
            self.marks,
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
            done, sent = self.publish_batch()
            published += sent
            if done < self.batch_size:
                if until_caught_up:
                    break
                self._stopping.wait(self.poll_interval)
        self._settle(wait=True)
        return published

    def publish_batch(self) -> tuple[int, int]:
        """Send the next batch of notifications; returns (notifications read, events sent).

        Records are acknowledged in the background while the next batch is read; a short
        batch (caught up) or too many unacknowledged records waits for every ack.
        """
        batch = self.app.recorder.select_notifications(self.next_position, self.batch_size)
        sent = 0
        for notification in batch:
            try:
                record = self._translate(notification)
            except Exception as exc:
                self._settle(wait=True)
                raise UndecodableEvent(
                    f"stored event at notification id {notification.id} "
                    f"({notification.topic}, aggregate {notification.originator_id} "
                    f"v{notification.originator_version}) cannot be published: {_one_line(exc)}"
                ) from exc
            if record is not None:
                sent += self._send(record, notification.id)
        if batch:
            self.next_position = batch[-1].id + 1
        self._settle(wait=len(batch) < self.batch_size or len(self._pending) > MAX_PENDING)
        self._measure_lag()
        return len(batch), sent

    def _translate(self, notification: Any) -> Any:
        event = self.app.mapper.to_domain_event(notification)
        name = type(event).__qualname__
        if name in NOT_PUBLISHED:
            return None
        if name == "Group.Formed":
            self._programs[event.originator_id] = event.program_id
        return to_wire(event, notification.id, program_of=self._program_of)

    def _program_of(self, group_id: UUID) -> UUID:
        program = self._programs.get(group_id)
        if program is None:
            program = self.app.repository.get(group_id, version=1).program_id
            if len(self._programs) > 100_000:
                self._programs.clear()
            self._programs[group_id] = program
        return program

    def _send(self, record: Any, position: int) -> int:
        if record.partition == EVERY_PARTITION:
            targets = range(self.partitions)
        else:
            targets = (partition_for(record.key, self.partitions),)
        first = 1
        for partition in targets:
            if self.marks.get(partition, 0) >= position:
                continue
            future = self.producer.send(
                self.topic,
                value=record.value,
                key=record.key,
                headers=record.headers,
                partition=partition,
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
                raise PublishFailed(f"publishing to {self.topic}: {_one_line(future.exception)}")
            partition, offset = future.value.partition, future.value.offset
            if offset <= self._offsets.get(partition, -1):
                raise BrokerLostData(
                    f"{self.topic}[{partition}] offset went back to {offset}: the broker lost "
                    "its data; restart the relay to refill the topic from the event store"
                )
            self._offsets[partition] = offset
            acked += counts
        metrics.RELAY_PUBLISHED.inc(acked)

    def _measure_lag(self) -> None:
        head = self.app.recorder.max_notification_id() or 0
        behind = max(0, head - (self.next_position - 1))
        metrics.RELAY_LAG_EVENTS.set(behind)
        if behind == 0:
            self._behind_since = None
        elif self._behind_since is None:
            self._behind_since = time.monotonic()
        since = self._behind_since
        metrics.RELAY_LAG_SECONDS.set(0.0 if since is None else time.monotonic() - since)

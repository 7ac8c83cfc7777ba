"""The ingest consumer loop: decode, apply in one tracked transaction per partition batch, ack.

Each poll's records of one topic-partition are applied inside ``app.batch(tracking=...)``
whose tracking record ``kafka:{topic}:{partition}`` (per topic incarnation, see
:mod:`consumers.ingest.positions`) holds the last offset, so the Kafka position and the
domain events commit together (exactly-once effect). Ticks follow the event-time
watermark of the whole topic (:mod:`consumers.ingest.watermark`; on PostgreSQL shared with
the other ingest processes, :mod:`consumers.ingest.shared_watermark`). On assignment each
partition is sought to the stored position + 1; Kafka's own committed offsets are only
informational. Several processes may share the topic (decision 0024): each claims the
partitions it is assigned (a new epoch in their tracking records), so one that lost a
partition fails its commit, logs that it was taken over and drops its records.
A DomainError re-runs the batch without the offending message, which goes
to the DLQ, and so does a message applying fails on for a reason of its own (any error
that is not the store's or the network's: code ``unprocessable``), so no one message can
stop ingest; dead letters are flushed before the commit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import PersistenceError
from kafka import ConsumerRebalanceListener, TopicPartition

from consumers.ingest.dlq import DeadLetters
from consumers.ingest.mapper import apply
from consumers.ingest.positions import Positions, tracking_name
from consumers.ingest.shared_watermark import SharedWatermark
from consumers.ingest.watermark import Watermark
from domain.errors import ConcurrentModification, DomainError
from infra.contract.inbound.decoder import DOMAIN_ERROR, UNPROCESSABLE, Command, Rejection, decode
from infra.errors import one_line, transient
from infra.kafka import backlog, end_offsets
from infra.metrics import INGEST_MESSAGES

log = logging.getLogger(__name__)
MAX_CONFLICT_RETRIES = 20
__all__ = ["IngestConsumer", "tracking_name"]


class _Rerun(Exception):
    """A message broke a domain rule: abandon this attempt and run the batch without it."""


class IngestConsumer:
    """Consumes ``topic``, applying valid messages to ``app`` and dead-lettering the rest."""

    def __init__(self, app: Any, kafka: Any, dead_letters: DeadLetters, topic: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 max_records: int = 1000,
                 shared: SharedWatermark | None = None) -> None:  # fmt: skip
        self.app, self.kafka, self.dead_letters = app, kafka, dead_letters
        self.shared = shared
        """The topic's watermark shared with the other ingest processes (PostgreSQL); None:
        this process is the topic's only consumer (one per store, SQLite)."""
        self._published_lagging: frozenset[TopicPartition] | None = None
        self.topic, self.clock, self.max_records = topic, clock, max_records
        self.stopping = threading.Event()
        self.watermark = Watermark()
        self.positions = Positions(app, self._end_offsets, self._topic_id)
        self.applied = 0
        self.handled = 0
        """Records applied or dead-lettered: the progress :class:`~infra.progress.ProgressWatch`
        follows."""
        self.backlog = 0
        """Records waiting on the assigned partitions after the last poll (from the loop's
        own thread: kafka-python's consumer is not thread-safe)."""
        self._dead: set[tuple[int, int]] = set()
        self.taken: set[TopicPartition] = set()
        """Partitions another process claimed after us: not processed until assigned again."""

    def start(self) -> None:
        """Subscribe; partitions are positioned from the event store on every assignment."""
        self.kafka.subscribe([self.topic], listener=_SeekToStored(self))

    def seek_to_stored(self, partitions: Sequence[TopicPartition]) -> None:
        """Resume each partition right after the last offset recorded with the events.

        From the beginning when none is recorded, or when the broker lost its data
        (see :mod:`consumers.ingest.positions`).
        """
        self.watermark = self.watermark.assign(partitions)
        self.taken -= set(partitions)  # ours again: seek and claim below
        forget = getattr(self.app, "forget_cached", None)
        if forget is not None:  # another consumer may have written these groups meanwhile
            forget()
        for tp, offset in self.positions.resume(partitions).items():
            if offset is None:
                self.kafka.seek_to_beginning(tp)
            else:
                self.kafka.seek(tp, offset)
                self.watermark = self.watermark.reading(tp, offset)
        self._publish()  # claimed: others wait for these partitions until we progress

    def _end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """True end offsets, probed with clients of their own (safe inside a rebalance)."""
        servers = self.kafka.config["bootstrap_servers"]
        return end_offsets(servers if isinstance(servers, str) else ",".join(servers), partitions)

    def _topic_id(self, topic: str) -> str | None:
        """The broker's id of ``topic`` from the consumer's metadata (None if not given)."""
        try:
            topic_id = self.kafka._client.cluster.topic_id(topic)
        except AttributeError:
            return None
        return None if topic_id is None else str(topic_id)

    def run(self, idle_exit: Callable[[], bool] | None = None) -> None:
        """Poll until :meth:`stop` (e.g. from SIGTERM); the batch in hand always finishes."""
        while not self.stopping.is_set():
            try:
                polled = self.kafka.poll(timeout_ms=200, max_records=self.max_records)
            except Exception as exc:  # noqa: BLE001 - rebalance hiccups (UNKNOWN_MEMBER_ID)
                log.warning("poll failed, retrying: %s", exc)
                time.sleep(0.5)
                continue
            self._note_reading(polled)
            if self.shared is not None and self._lagging() != self._published_lagging:
                self._publish()  # caught up (or behind again) without a batch
            # what waits counts the records in hand too: a wedge in processing them is seen
            self.backlog = backlog(self.kafka) + sum(len(r) for r in polled.values())
            for tp, records in polled.items():
                if tp not in self.taken:
                    self.process(tp, records)
            if not polled and idle_exit is not None and idle_exit():
                return

    def stop(self) -> None:
        """Ask the loop to finish its batch, commit and return."""
        self.stopping.set()

    def process(self, tp: TopicPartition, records: list[Any]) -> None:
        """Apply one partition's records in one transaction, retrying conflicts."""
        now = self.clock()
        self._dead = set()
        decoded = [(r, decode(r.value, r.headers, now)) for r in records]
        conflicts = 0
        while conflicts < MAX_CONFLICT_RETRIES:
            try:
                self._attempt(tp, decoded)
                return
            except _Rerun:  # one record fewer to apply each time: bounded by the batch
                continue
            except ConcurrentModification:
                if self.positions.taken_over(tp):
                    self._taken_over(tp)
                    return
                conflicts += 1
                stored = self.positions.stored(tp)
                decoded = [(r, c) for r, c in decoded if stored is None or r.offset > stored]
                if not decoded:
                    return
        raise RuntimeError(f"{tp}: gave up after {MAX_CONFLICT_RETRIES} conflicting attempts")

    def _taken_over(self, tp: TopicPartition) -> None:
        """Another process owns ``tp`` now: our batch was rolled back; what we still fetch
        of it is dropped until the rebalance that must follow takes it away (or gives it
        back: assignment seeks to the stored position and claims it again). Not
        ``KafkaConsumer.pause``: kafka-python 3.0 keeps a paused partition's fetched data and
        then never fetched it again after the partition was reassigned."""
        log.warning("%s[%d] was taken over by another ingest process; its batch in hand is "
                    "left to the new owner", tp.topic, tp.partition)  # fmt: skip
        self.taken.add(tp)
        self.watermark = self.watermark.revoke([tp])

    def _attempt(self, tp: TopicPartition, decoded: list[tuple[Any, Command | Rejection]]) -> None:
        tracking = self.positions.tracking(tp, decoded[-1][0].offset)
        if self.shared is not None:
            self.app.forget_shared_cached()  # another process may have changed them
        with self.app.batch(tracking=tracking):
            applied = [
                c for r, c in decoded if isinstance(c, Command) and self._apply(r, c, decoded)
            ]
            latest = max((c.occurred_at for c in applied), default=None)
            after = self.watermark.advanced(tp, latest, decoded[-1][0].offset + 1)
            mark = self._mark(after)
            if mark is not None:
                self.app.tick_through(mark)
            self._dead_letter(decoded)
        self.watermark = after
        self._publish()
        for command in applied:
            INGEST_MESSAGES.labels(type=command.type).inc()
        self.applied += len(applied)
        self.handled += len(decoded)

    def _note_reading(self, polled: dict[TopicPartition, list[Any]]) -> None:
        """Tell the watermark where each partition's unapplied records start."""
        for tp, records in polled.items():
            self.watermark = self.watermark.reading(tp, records[0].offset)
        for tp in self.watermark.assigned - self.watermark.next_offsets.keys():
            if self.kafka.highwater(tp) is not None:  # fetched once: position is valid
                self.watermark = self.watermark.reading(tp, self.kafka.position(tp))

    def _mark(self, after: Watermark) -> datetime | None:
        """How far event time may tick after this batch: over the whole topic, from the
        rows the other processes share (decision 0024) — on our own partitions only when
        we are the topic's one consumer."""
        partitions = self.kafka.partitions_for_topic(self.topic) or set()
        if self.shared is not None:
            return self.shared.value(after, self._highwater, partitions)
        owned = {tp.partition for tp in after.assigned if tp.topic == self.topic}
        if not partitions or not owned >= set(partitions):
            return None  # mid-rebalance: the partitions of a gone process are nobody's
        return after.value(self._highwater)

    def _lagging(self) -> frozenset[TopicPartition]:
        return frozenset(self.watermark.lagging(self._highwater))

    def _publish(self) -> None:
        """Share our partitions' progress (PostgreSQL, several processes)."""
        if self.shared is not None:
            self.shared.publish(self.watermark, self.positions.epochs, self._highwater)
            self._published_lagging = self._lagging()

    def _highwater(self, tp: TopicPartition) -> int | None:
        """The partition's end as the last fetch reported it (right on Tansu too)."""
        return self.kafka.highwater(tp)

    def _apply(self, record: Any, command: Command, decoded: list) -> bool:
        try:
            apply(self.app, command)
            return True
        except DomainError as exc:
            if exc.retryable:
                raise
            rejection = Rejection(DOMAIN_ERROR, f"{exc.code}: {exc}")
        except Exception as exc:
            if transient(exc) or isinstance(exc, PersistenceError):
                raise  # the store or the network: the batch is retried, nothing dead-lettered
            log.exception("applying %s[%s]@%s failed", record.topic, record.partition,
                          record.offset)  # fmt: skip
            rejection = Rejection(UNPROCESSABLE, f"cannot be applied: {one_line(exc)}")
        decoded[:] = [(r, rejection if r is record else c) for r, c in decoded]
        raise _Rerun

    def _dead_letter(self, decoded: list[tuple[Any, Command | Rejection]]) -> None:
        for record, result in decoded:
            key = (record.partition, record.offset)
            if isinstance(result, Rejection) and key not in self._dead:
                log.info("dead-lettering %s[%s]@%s: %s %s", record.topic, record.partition,
                         record.offset, result.code, result.reason)  # fmt: skip
                self.dead_letters.send(record, result)
                self._dead.add(key)
        self.dead_letters.flush()


class _SeekToStored(ConsumerRebalanceListener):
    def __init__(self, consumer: IngestConsumer) -> None:
        self.consumer = consumer

    def on_partitions_revoked(self, revoked: Any) -> None:
        """Positions are committed with the events; revoked partitions stop holding time."""
        self.consumer.watermark = self.consumer.watermark.revoke(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.consumer.seek_to_stored(list(assigned))

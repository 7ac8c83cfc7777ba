"""Kafka client factories (kafka-python) and the one workaround for Tansu's high watermark.

Every peerpulse process builds its clients here so the defaults stay in one place:
acks=all + idempotence for producers, explicit commits and a short session timeout for
consumers. ``end_offsets``/``read_last_record``/``oldest_waiting``/``read_all`` find the
TRUE end of a partition: Tansu's ListOffsets(LATEST) answers *first offset of the last
produced batch + 1*, while its Fetch responses carry the correct high watermark (see
docs/decisions/0004-embedded-broker-tansu.md). On a correct Kafka the probe is a no-op.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from infra.limits import MAX_REQUEST_BYTES
from infra.settings import Settings

CLIENT_ID = "peerpulse"


class ClosedTransportNoise(logging.Filter):
    """Drops kafka-python's traceback for a read on a connection it has just closed itself.

    kafka-python 3.0.12 can close a connection while its I/O loop is still reading it
    (seen when a command exits right after its clients connected); the read then fails
    with EBADF or an AttributeError on the cleared socket, or its task fails to wait on the
    closed socket's descriptor -1, logged at ERROR with a traceback although nothing is
    wrong. A record is dropped only when it carries one of those exceptions and names a
    transport that is closed (or descriptor -1); every other network error stays.
    Installed on ``kafka.net.transport`` and ``kafka.net.selector`` by
    :func:`peerpulse.cli.configure_logging`.
    """

    LOGGERS = ("kafka.net.transport", "kafka.net.selector")

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the close race's record, True for everything else."""
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, OSError | AttributeError):
            return " (closed)>" not in record.getMessage()
        if isinstance(exc, ValueError):
            return str(exc) != "Invalid file descriptor: -1"
        return True


DEFAULT_SESSION_TIMEOUT_MS = Settings.model_fields["kafka_session_timeout_ms"].default


def producer(bootstrap: str, **kw: Any) -> KafkaProducer:
    """A producer that never loses or reorders: acks=all, idempotent, small linger.

    Its request size is the catalogue's :data:`infra.limits.MAX_REQUEST_BYTES`.
    """
    config: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "max_request_size": MAX_REQUEST_BYTES,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "batch_size": 128 * 1024,
        "max_in_flight_requests_per_connection": 5,
    }
    config.update(kw)
    return KafkaProducer(bootstrap_servers=bootstrap, **config)


def consumer(bootstrap: str, group_id: str | None, *topics: str, **kw: Any) -> KafkaConsumer:
    """A consumer with explicit commits, reading from the earliest offset when it has none.

    ``session_timeout_ms`` defaults to ``Settings.kafka_session_timeout_ms`` (Tansu
    completes a group join after about half of it); pass the process's own value.
    "earliest" is also the safe reset on Tansu, whose "latest" lands inside the last batch.
    """
    session = int(kw.pop("session_timeout_ms", DEFAULT_SESSION_TIMEOUT_MS))
    config: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": session,
        "heartbeat_interval_ms": max(100, session // 3),
        "allow_auto_create_topics": False,
    }
    config.update(kw)
    return KafkaConsumer(*topics, bootstrap_servers=bootstrap, **config)


def admin(bootstrap: str, **kw: Any) -> KafkaAdminClient:
    """An admin client for topic management."""
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id=f"{CLIENT_ID}-admin", **kw)


def _probe_consumer(bootstrap: str | list[str]) -> KafkaConsumer:
    return consumer(
        bootstrap if isinstance(bootstrap, str) else ",".join(bootstrap),
        None,
        fetch_max_wait_ms=20,
        max_partition_fetch_bytes=64 * 1024,
        auto_offset_reset="earliest",
    )


def end_offsets(
    consumer_or_bootstrap: KafkaConsumer | str,
    partitions: Iterable[TopicPartition],
    timeout: float = 10.0,
) -> dict[TopicPartition, int]:
    """The offset the next record of each partition will get (last offset + 1).

    Asks ListOffsets, then fetches from that offset and takes the larger of it, the
    Fetch response's high watermark and any record seen. A consumer passed in is only
    used for ListOffsets; its position is left untouched.
    """
    tps = list(partitions)
    if not tps:
        return {}
    owned = isinstance(consumer_or_bootstrap, str)
    base = _probe_consumer(consumer_or_bootstrap) if owned else consumer_or_bootstrap
    bootstrap = consumer_or_bootstrap if owned else base.config["bootstrap_servers"]
    try:
        reported = base.end_offsets(tps, timeout_ms=int(timeout * 1000))
    finally:
        if owned:
            base.close(autocommit=False)
    probe = _probe_consumer(bootstrap)
    try:
        return _probe_ends(probe, reported, time.monotonic() + timeout)
    finally:
        probe.close(autocommit=False)


def _probe_ends(
    probe: KafkaConsumer, reported: dict[TopicPartition, int], deadline: float
) -> dict[TopicPartition, int]:
    ends = dict(reported)
    probe.assign(list(reported))
    for tp, offset in reported.items():
        probe.seek(tp, offset)
    pending = set(reported)
    while pending and time.monotonic() < deadline:
        batch = probe.poll(timeout_ms=50, update_offsets=True)
        for tp, records in batch.items():
            ends[tp] = max(ends[tp], records[-1].offset + 1)
        for tp in list(pending):
            hw = probe.highwater(tp)
            if hw is not None:
                ends[tp] = max(ends[tp], hw)
                pending.discard(tp)
    if pending:
        raise TimeoutError(f"no fetch response for {sorted(pending)} within the timeout")
    return ends


def read_last_record(
    bootstrap: str, topic: str, partition: int, timeout: float = 10.0
) -> ConsumerRecord | None:
    """The newest record of one partition, or None when the partition is empty.

    Used by the relay to find where it left off from the topic itself.
    """
    tp = TopicPartition(topic, partition)
    end = end_offsets(bootstrap, [tp], timeout)[tp]
    deadline = time.monotonic() + timeout
    c = _probe_consumer(bootstrap)
    try:
        c.assign([tp])
        start = c.beginning_offsets([tp])[tp]
        window = 1
        while end > start:
            first = max(start, end - window)
            records = _read_range(c, tp, first, end, deadline)
            if records:
                return records[-1]
            if first == start:
                return None
            window *= 8
        return None
    finally:
        c.close(autocommit=False)


def _read_range(
    c: KafkaConsumer, tp: TopicPartition, first: int, end: int, deadline: float
) -> list[ConsumerRecord]:
    """Records of ``tp`` with ``first <= offset < end`` (the consumer must be assigned tp)."""
    c.seek(tp, first)
    out: list[ConsumerRecord] = []
    while c.position(tp) < end:
        if time.monotonic() > deadline:
            raise TimeoutError(f"reading {tp.topic}[{tp.partition}] up to offset {end} timed out")
        for record in c.poll(timeout_ms=100).get(tp, []):
            if record.offset < end:
                out.append(record)
    return out


def oldest_waiting(
    bootstrap: str, positions: dict[TopicPartition, int], timeout: float = 10.0
) -> dict[TopicPartition, ConsumerRecord | None]:
    """Per partition, the first record at or after ``positions[tp]`` (the oldest one a
    consumer at that position has not applied yet), or None when there is none yet.

    For ``peerpulse status``: its timestamp is how long the oldest waiting record waited.
    """
    tps = list(positions)
    if not tps:
        return {}
    ends = end_offsets(bootstrap, tps, timeout)
    deadline = time.monotonic() + timeout
    c = _probe_consumer(bootstrap)
    try:
        c.assign(tps)
        out: dict[TopicPartition, ConsumerRecord | None] = {}
        for tp in tps:
            c.pause(*[other for other in tps if other != tp])
            c.resume(tp)
            out[tp] = _first_from(c, tp, positions[tp], ends[tp], deadline)
        return out
    finally:
        c.close(autocommit=False)


def _first_from(
    c: KafkaConsumer, tp: TopicPartition, first: int, end: int, deadline: float
) -> ConsumerRecord | None:
    if first >= end:
        return None
    c.seek(tp, max(0, first))
    while c.position(tp) < end:
        if time.monotonic() > deadline:
            raise TimeoutError(f"reading {tp.topic}[{tp.partition}] at offset {first} timed out")
        for record in c.poll(timeout_ms=100).get(tp, []):
            if record.offset >= first:
                return record
    return None


def read_all(bootstrap: str, topic: str, timeout: float = 10.0) -> list[ConsumerRecord]:
    """Every record of ``topic`` present now, ordered by partition then offset."""
    deadline = time.monotonic() + timeout
    c = _probe_consumer(bootstrap)
    try:
        parts = c.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        ends = end_offsets(bootstrap, tps, timeout)
        starts = c.beginning_offsets(tps) if tps else {}
        c.assign(tps)
        out: list[ConsumerRecord] = []
        for tp in tps:
            c.pause(*[other for other in tps if other != tp])
            c.resume(tp)
            out.extend(_read_range(c, tp, starts[tp], ends[tp], deadline))
        return out
    finally:
        c.close(autocommit=False)


def backlog(consumer: KafkaConsumer) -> int:
    """Records between each assigned partition's position and its end as last fetched (call
    it on the consumer's own thread: kafka-python's consumer is not thread-safe). Never
    raises: it is measured beside records in hand, which must not be lost to it; what it
    cannot measure counts as 0."""
    waiting = 0
    for tp in consumer.assignment():
        end = consumer.highwater(tp)
        if end is None:
            continue
        try:
            waiting += max(0, end - consumer.position(tp, timeout_ms=0))
        except Exception:  # noqa: BLE001 - no valid position yet (a reset in flight)
            continue
    return waiting

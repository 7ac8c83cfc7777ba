"""Where the relay left off, read from the topic itself (docs/decisions/0007-outbox-relay.md).

Every record the relay publishes carries its event-store notification id in the
``pp-position`` header, and each partition receives its records in position order. So a
partition's newest record tells how far that partition got: its *watermark*. An event at
position ``n`` bound for partition ``p`` is already there exactly when ``watermark[p] >= n``.
The relay resumes from ``min(watermarks) + 1`` and skips per partition what is there.

A stored event the relay cannot translate is quarantined instead: it goes, with the same
header, to partition 0 of the relay's dead-letter topic (:mod:`infra.relay_quarantine`),
in position order. So the DLQ has a watermark too, and a quarantined event at position
``n`` is already there exactly when ``dlq_watermark >= n``: re-read after a restart, it is
neither quarantined again nor missed, and it leaves no hole in any partition's rule.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from kafka.partitioner.default import murmur2

from infra.errors import UserFacingError
from infra.kafka import read_last_record

POSITION_HEADER = "pp-position"
DLQ_PARTITION = 0
"""The one partition of the relay's dead-letter topic the relay writes."""


class ForeignRecord(UserFacingError):
    """The topic's newest record was not written by the relay (no ``pp-position`` header)."""


@lru_cache(maxsize=65536)
def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner picks for ``key`` (murmur2, as in Java)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def position_of(headers: list[tuple[str, bytes]] | None) -> int | None:
    """The ``pp-position`` of a record's headers, or None when it has none."""
    for name, value in headers or ():
        if name == POSITION_HEADER:
            return int(value)
    return None


def watermark(bootstrap: str, topic: str, partition: int, timeout: float = 30.0) -> int:
    """The position of the newest record in one partition; 0 when it is empty."""
    record = read_last_record(bootstrap, topic, partition, timeout=timeout)
    if record is None:
        return 0
    position = position_of(record.headers)
    if position is None:
        raise ForeignRecord(
            f"{topic}[{partition}] offset {record.offset} has no {POSITION_HEADER} header: "
            "only the relay may write to this topic"
        )
    return position


def watermarks(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    """``{partition: watermark}`` for every partition of ``topic`` (read in parallel)."""
    with ThreadPoolExecutor(max_workers=min(8, partitions)) as pool:
        marks = pool.map(lambda p: watermark(bootstrap, topic, p), range(partitions))
        return dict(zip(range(partitions), marks, strict=True))


def resume_position(marks: dict[int, int]) -> int:
    """The first notification id that may be missing from some partition."""
    return min(marks.values(), default=0) + 1


def dlq_watermark(bootstrap: str, dlq_topic: str) -> int:
    """The position of the newest quarantined event on the relay's DLQ; 0 when none."""
    return watermark(bootstrap, dlq_topic, DLQ_PARTITION)

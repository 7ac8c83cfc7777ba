"""Keep the worker's Kafka consumer-group position equal to the read model's checkpoint.

The read model is the source of truth for where projection left off (decision 0006):
``rebuild`` sets the group's offsets to the rebuilt checkpoint. The workers do not rely on
them: at every assignment each seeks its new partitions to the checkpoint (decision 0025).
"""

from __future__ import annotations

import logging
import time

from kafka import TopicPartition
from kafka.errors import NoError
from kafka.structs import OffsetAndMetadata

from infra.kafka import admin, consumer

log = logging.getLogger(__name__)
WORKER_GROUP = "peerpulse-projections"


def partitions(bootstrap: str, topic: str, timeout: float = 20.0) -> list[int]:
    """Partition numbers of ``topic`` (waits for metadata)."""
    c = consumer(bootstrap, None)
    try:
        deadline = time.monotonic() + timeout
        while True:
            parts = c.partitions_for_topic(topic)
            if parts:
                return sorted(parts)
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic} has no partitions on {bootstrap}")
            time.sleep(0.2)
    finally:
        c.close(autocommit=False)


def set_group_offsets(
    bootstrap: str, group: str, topic: str, offsets: dict[int, int], timeout: float = 20.0
) -> None:
    """Set the (inactive) group's position on ``topic`` to ``offsets`` (missing: 0).

    A worker that just stopped may still count as a member until its session times out;
    the broker then answers UNKNOWN_MEMBER_ID, so this retries until ``timeout``.
    """
    tps = [TopicPartition(topic, p) for p in partitions(bootstrap, topic)]
    wanted = {tp: OffsetAndMetadata(offsets.get(tp.partition, 0), "", -1) for tp in tps}
    deadline = time.monotonic() + timeout
    while True:
        client = admin(bootstrap)
        try:
            result = client.alter_group_offsets(group, wanted)
        finally:
            client.close()
        failed = {tp.partition: err.__name__ for tp, err in result.items() if err is not NoError}
        if not failed:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"cannot position group {group} on {topic} (is a worker still running?): {failed}"
            )
        time.sleep(0.5)
    log.info(
        "group %s positioned on %s at %s",
        group,
        topic,
        {tp.partition: o.offset for tp, o in wanted.items()},
    )

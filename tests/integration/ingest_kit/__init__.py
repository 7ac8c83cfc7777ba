"""Helpers for ingest integration tests: unique topics, publishing, running the consumer."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from consumers.ingest.positions import stored_offset
from infra.settings import Settings
from infra.topics import Topic, create_topics
from peerpulse.build import build
from tests.unit.ingest.conftest import FakeVault

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def topics(bootstrap: str, partitions: int = 3) -> tuple[str, str]:
    """A fresh (input, dlq) topic pair."""
    suffix = uuid.uuid4().hex[:10]
    names = (f"t-attendance-{suffix}", f"t-dlq-{suffix}")
    create_topics(bootstrap, partitions, tuple(Topic(n, "k", "v", "test") for n in names))
    return names


def message(kind: str, data: dict[str, Any], at: float = 0, group: str = "g1",
            program: str = "prog", source: str = "lms.test") -> bytes:  # fmt: skip
    """One ingest message ``at`` days after T0."""
    scoped = {"program": program}
    if not kind.startswith(("program.", "coordinator.")):
        scoped["group"] = group
    return json.dumps({
        "specversion": "1.0", "id": uuid.uuid4().hex, "source": source,
        "type": f"peerpulse.ingest.{kind}.v1", "time": (T0 + timedelta(days=at)).isoformat(),
        "data": {**scoped, **data},
    }).encode()  # fmt: skip


def publish(bootstrap: str, topic: str, values: Iterable[bytes | tuple[bytes, bytes]],
            **config: Any) -> int:  # fmt: skip
    """Produce values (or (key, value) pairs) in order; returns how many.

    ``config`` overrides the producer's, e.g. a ``max_request_size`` larger than
    peerpulse's own, as a sender with other settings may have.
    """
    from infra.kafka import producer

    p = producer(bootstrap, **config)
    n = 0
    for item in values:
        key, value = item if isinstance(item, tuple) else (b"prog", item)
        p.send(topic, key=key, value=value)
        n += 1
    p.flush(30)
    p.close()
    return n


def container(settings: Settings, bootstrap: str) -> Any:
    """A container on ``settings`` pointed at the test broker, with an in-memory vault."""
    return build(settings.model_copy(update={"kafka_bootstrap": bootstrap}), vault=FakeVault())


def positions(app: Any, topic: str, partitions: int = 3) -> int:
    """Messages covered by the stored tracking positions of ``topic``."""
    total = 0
    for p in range(partitions):
        stored = stored_offset(app, topic, p)
        total += 0 if stored is None else stored + 1
    return total


@contextmanager
def running(c: Any, topic: str, dlq: str) -> Any:
    """Run an IngestConsumer in a thread for the block's duration."""
    ingest = c.ingest_consumer(topic, dlq, f"g-{uuid.uuid4().hex[:8]}", max_records=500)
    ingest.start()
    thread = threading.Thread(target=ingest.run, daemon=True)
    thread.start()
    try:
        yield ingest
    finally:
        ingest.stop()
        thread.join(30)
        ingest.kafka.close(autocommit=False)
        ingest.dead_letters.close()


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")

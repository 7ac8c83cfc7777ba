"""The dead-letter queue: rejected input, byte for byte, with the reason in headers.

A person reads ``pp-error-code``/``pp-error-reason``, fixes the message and sends it
again; ``pp-source-*`` say where it came from. Dead letters are flushed *before* the
batch that skipped them is committed, so a crash can duplicate a dead letter but never
lose one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from consumers.ingest.decoder import Rejection
from infra.metrics import INGEST_REJECTIONS

HEADER_CODE = "pp-error-code"
HEADER_REASON = "pp-error-reason"
HEADER_TOPIC = "pp-source-topic"
HEADER_PARTITION = "pp-source-partition"
HEADER_OFFSET = "pp-source-offset"
OWN_HEADERS = frozenset({HEADER_CODE, HEADER_REASON, HEADER_TOPIC, HEADER_PARTITION, HEADER_OFFSET})


def dead_letter_headers(
    rejection: Rejection,
    topic: str,
    partition: int,
    offset: int,
    original: Iterable[tuple[str, bytes | None]] | None = None,
) -> list[tuple[str, bytes]]:
    """The original headers (minus stale ``pp-*`` ones) plus why and where it was rejected."""
    kept = [(k, v or b"") for k, v in (original or ()) if k not in OWN_HEADERS]
    return kept + [
        (HEADER_CODE, rejection.code.encode()),
        (HEADER_REASON, rejection.reason.encode("utf-8", "replace")),
        (HEADER_TOPIC, topic.encode()),
        (HEADER_PARTITION, str(partition).encode()),
        (HEADER_OFFSET, str(offset).encode()),
    ]


class DeadLetters:
    """Sends rejected records to the DLQ topic and counts them by reason code."""

    def __init__(self, producer: Any, topic: str) -> None:
        self._producer = producer
        self.topic = topic
        self._pending: list[Any] = []

    def send(self, record: Any, rejection: Rejection) -> None:
        """Queue one rejected ``ConsumerRecord`` for the DLQ (call :meth:`flush` to wait)."""
        headers = dead_letter_headers(
            rejection, record.topic, record.partition, record.offset, record.headers
        )
        future = self._producer.send(
            self.topic, key=record.key, value=record.value, headers=headers
        )
        self._pending.append(future)
        INGEST_REJECTIONS.labels(reason=rejection.code).inc()

    def flush(self, timeout: float = 30.0) -> None:
        """Block until every queued dead letter is acknowledged; raises if one failed."""
        if not self._pending:
            return
        self._producer.flush(timeout=timeout)
        pending, self._pending = self._pending, []
        for future in pending:
            future.get(timeout=timeout)

    def close(self) -> None:
        """Flush and close the producer."""
        self.flush()
        self._producer.close()

"""The dead-letter queue: rejected input with the reason in headers, personal data removed.

A person reads ``pp-error-code``/``pp-error-reason``, fixes the message and sends it
again; ``pp-source-*`` say where it came from. The value is kept byte for byte unless it
holds personal data: those fields are replaced by a marker (the JSON re-serialised) and
``pp-redacted`` names them (:mod:`infra.contract.inbound.redaction`); a value that does not
parse is kept as it is, bounded by the DLQ topic's 7-day retention. A record too large
for one producer request (:data:`infra.limits.MAX_REQUEST_BYTES`) with those headers is
dead-lettered cut to fit: a prefix of its value, ``pp-original-size``/``pp-original-sha256``
describing the whole (after redaction), and a reason saying it was too large. Dead
letters are flushed *before* the batch that skipped them is committed, so a crash can
duplicate a dead letter but never lose one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from infra.contract.inbound.decoder import Rejection
from infra.contract.inbound.redaction import redact
from infra.limits import MAX_REQUEST_BYTES, record_size
from infra.metrics import INGEST_REJECTIONS

HEADER_CODE = "pp-error-code"
HEADER_REASON = "pp-error-reason"
HEADER_TOPIC = "pp-source-topic"
HEADER_PARTITION = "pp-source-partition"
HEADER_OFFSET = "pp-source-offset"
HEADER_ORIGINAL_SIZE = "pp-original-size"
HEADER_ORIGINAL_SHA256 = "pp-original-sha256"
HEADER_REDACTED = "pp-redacted"
OWN_HEADERS = frozenset({HEADER_CODE, HEADER_REASON, HEADER_TOPIC, HEADER_PARTITION,
                         HEADER_OFFSET, HEADER_ORIGINAL_SIZE, HEADER_ORIGINAL_SHA256,
                         HEADER_REDACTED})  # fmt: skip
CUT_NOTE = (
    "; too large to dead-letter whole, so the value is cut to a prefix"
    f" ({HEADER_ORIGINAL_SIZE} and {HEADER_ORIGINAL_SHA256} describe the original)"
)


@dataclass(frozen=True)
class Letter:
    """What goes to the DLQ for one rejected record."""

    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


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


def dead_letter(record: Any, rejection: Rejection, max_bytes: int = MAX_REQUEST_BYTES) -> Letter:
    """The DLQ copy of a rejected ``ConsumerRecord``: whole if it fits ``max_bytes``, else cut.

    Personal fields are redacted first. A cut copy keeps our headers, then the key and the
    original headers if they still fit, then as long a prefix of the (redacted) value as
    fits; ``pp-original-*`` then describe the redacted value, never the personal one.
    """
    where = (record.topic, record.partition, record.offset)
    value, removed = redact(record.value)
    redacted = [(HEADER_REDACTED, ",".join(removed).encode())] if removed else []
    headers = dead_letter_headers(rejection, *where, record.headers) + redacted
    if record_size(record.key, value, headers) <= max_bytes:
        return Letter(record.key, value, headers)
    value = value or b""
    cut = Rejection(rejection.code, rejection.reason + CUT_NOTE)
    digest = sha256(value).hexdigest().encode()
    described = [(HEADER_ORIGINAL_SIZE, str(len(value)).encode()),
                 (HEADER_ORIGINAL_SHA256, digest), *redacted]  # fmt: skip
    headers = dead_letter_headers(cut, *where, record.headers) + described
    if record_size(record.key, b"", headers) > max_bytes:
        headers = dead_letter_headers(cut, *where) + described
    key = record.key if record_size(record.key, b"", headers) <= max_bytes else None
    return Letter(key, _prefix(value, key, headers, max_bytes), headers)


def _prefix(value: bytes, key: bytes | None, headers: list, max_bytes: int) -> bytes:
    """The longest prefix of ``value`` that fits ``max_bytes`` beside ``key`` and ``headers``."""
    n = min(len(value), max(0, max_bytes - record_size(key, b"", headers)))
    while n and record_size(key, memoryview(value)[:n], headers) > max_bytes:
        n -= 1  # the value's length prefix grows by a byte or two
    return value[:n]


class DeadLetters:
    """Sends rejected records to the DLQ topic and counts them by reason code."""

    def __init__(self, producer: Any, topic: str, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self._producer = producer
        self.topic = topic
        self.max_bytes = max_bytes
        self._pending: list[Any] = []

    def send(self, record: Any, rejection: Rejection) -> None:
        """Queue one rejected ``ConsumerRecord`` for the DLQ (call :meth:`flush` to wait)."""
        letter = dead_letter(record, rejection, self.max_bytes)
        future = self._producer.send(
            self.topic, key=letter.key, value=letter.value, headers=letter.headers
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

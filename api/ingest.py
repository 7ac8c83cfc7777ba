"""HTTP ingest: the same contract as the attendance topic, checked by the same decoder.

``parse_attendance`` turns a request body into decoded commands (or an :class:`ApiError`
naming the field at fault); :class:`AttendancePublisher` produces the accepted messages to
``peerpulse.attendance.v1`` and waits for the broker's acknowledgement, so a 202 means the
messages are durably on the topic. A batch is all-or-nothing.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.errors import ApiError
from consumers.ingest.decoder import INVALID_JSON, NOT_UTF8, Command, Rejection, decode
from infra.limits import MAX_MESSAGE_BYTES
from infra.topics import ATTENDANCE

MEDIA_TYPES = ("application/json", "application/cloudevents+json",
               "application/cloudevents-batch+json")  # fmt: skip
MAX_BATCH = 1000


@dataclass(frozen=True)
class Accepted:
    """One decoded message ready to produce: its Kafka key and value."""

    command: Command
    key: bytes
    value: bytes


def check_media_type(content_type: str | None) -> None:
    """415 unless the body is declared as JSON (plain or CloudEvents structured/batch)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise ApiError(415, f"content-type must be one of {', '.join(MEDIA_TYPES)}, "
                       f"not {media or 'missing'!r}", field="content-type")  # fmt: skip


def parse_attendance(body: bytes, now: datetime) -> list[Accepted]:
    """Decode one message or a JSON array of them; raise ApiError on the first bad input."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise ApiError(413, f"the body is {len(body)} bytes; the limit is {MAX_MESSAGE_BYTES}",
                       field="body")  # fmt: skip
    try:
        parsed: Any = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"body: byte {exc.start} is not UTF-8", "body", NOT_UTF8) from None
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"body: not JSON: {str(exc)[:200]}", "body", INVALID_JSON) from None
    if not isinstance(parsed, list):
        return [_accept(decode(body, None, now), body, "")]
    if not parsed:
        raise ApiError(422, "body: the batch is empty", field="body")
    if len(parsed) > MAX_BATCH:
        raise ApiError(413, f"body: {len(parsed)} messages; a batch holds at most {MAX_BATCH}",
                       field="body")  # fmt: skip
    out = []
    for index, item in enumerate(parsed):
        raw = json.dumps(item, separators=(",", ":")).encode()
        out.append(_accept(decode(raw, None, now), raw, f"[{index}]"))
    return out


def _accept(result: Command | Rejection, raw: bytes, prefix: str) -> Accepted:
    if isinstance(result, Rejection):
        field, message = _field_of(result.reason)
        where = ".".join(p for p in (prefix, field) if p) or "body"
        raise ApiError(422, f"{where}: {message}", field=where, code=result.code)
    key = result.message.subject or getattr(result.data, "group", None) or result.data.program
    return Accepted(result, key.encode(), raw)


def _field_of(reason: str) -> tuple[str, str]:
    """Split the decoder's ``"path: message"`` reasons; reasons without a path keep whole."""
    head, sep, tail = reason.partition(": ")
    if sep and head and " " not in head:
        return ("" if head == "(root)" else head), tail
    return "", reason


class AttendancePublisher:
    """Produces accepted messages to the attendance topic; the producer is built on first use."""

    def __init__(self, bootstrap: str, topic: str = ATTENDANCE.name, timeout: float = 10.0):
        self.bootstrap, self.topic, self.timeout = bootstrap, topic, timeout
        self._producer = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._producer is None:
                from infra.kafka import producer

                ms = int(self.timeout * 1000)
                self._producer = producer(self.bootstrap, max_block_ms=ms, request_timeout_ms=ms)
            return self._producer

    def publish(self, accepted: list[Accepted], headers: list[tuple[str, bytes]]) -> list[Any]:
        """Produce every message and wait for acks; 503 when the broker does not take them."""
        from kafka.errors import KafkaError

        try:
            prod = self._get()
            futures = [prod.send(self.topic, key=a.key, value=a.value, headers=headers)
                       for a in accepted]  # fmt: skip
            prod.flush(timeout=self.timeout)
            return [f.get(timeout=self.timeout) for f in futures]
        except (KafkaError, OSError) as exc:
            raise ApiError(503, f"the broker did not accept the messages: {exc.__class__.__name__}",
                           code="broker_unavailable") from None  # fmt: skip

    def close(self) -> None:
        """Flush and close the producer if one was built."""
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=self.timeout)
                self._producer = None

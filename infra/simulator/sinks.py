"""Where simulated messages go: a Kafka topic, the HTTP ingest endpoint, or a JSONL file.

Every sink speaks only the public ingest contract. :func:`paced` groups messages into
batches and, with a ``speed``, sleeps the scaled event-time gap between them (``speed``
simulated seconds per real second); without one it goes as fast as the sink allows.
Messages arrive out of event-time order (late deliveries): the pace follows the newest
event time seen, and a late message goes out at once, with whatever is pending.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from infra.errors import UserFacingError
from infra.topics import ATTENDANCE

Message = dict[str, Any]
HTTP_BATCH = 500
KAFKA_TIMEOUT_S = 30.0


class SinkError(UserFacingError):
    """A sink refused the messages; the message is one line for the operator."""


class Sink(Protocol):
    """Takes batches of ingest messages."""

    def send(self, batch: list[Message]) -> None:
        """Deliver one batch (in order)."""

    def close(self) -> None:
        """Flush and release."""


def _encode(message: Message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def paced(
    messages: list[Message], speed: float | None, batch: int, sleep: Callable[[float], None]
) -> Iterator[list[Message]]:
    """Yield ``messages`` in batches; with ``speed``, batch by event time and sleep between."""
    if not speed:
        for i in range(0, len(messages), batch):
            yield messages[i : i + batch]
        return
    pending: list[Message] = []
    last: datetime | None = None
    for message in messages:
        at = datetime.fromisoformat(message["time"])
        if pending and last is not None and (at > last or len(pending) >= batch):
            yield pending
            pending = []
            sleep(max(0.0, (at - last).total_seconds()) / speed)
        pending.append(message)
        last = at if last is None else max(last, at)
    if pending:
        yield pending


class FileSink:
    """Appends one JSON message per line to a file (``-`` is not special)."""

    def __init__(self, path: Path) -> None:
        try:
            self._fh = path.open("w", encoding="utf-8")
        except OSError as exc:
            raise SinkError(f"cannot write {path}: {exc.strerror}") from None

    def send(self, batch: list[Message]) -> None:
        """Write the batch, one line each."""
        self._fh.writelines(_encode(m).decode() + "\n" for m in batch)

    def close(self) -> None:
        """Close the file."""
        self._fh.close()


class HttpSink:
    """POSTs batches to ``/v1/attendance`` with a bearer token; any non-2xx is an error."""

    def __init__(self, url: str, token: str | None, client: Any = None) -> None:
        import httpx

        self.url = url.rstrip("/")
        if not self.url.endswith("/v1/attendance"):
            self.url += "/v1/attendance"
        headers = {"content-type": "application/cloudevents-batch+json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._client = client or httpx.Client(headers=headers, timeout=30.0)
        self._headers = headers

    def send(self, batch: list[Message]) -> None:
        """POST one batch; raise :class:`SinkError` with the server's answer on failure."""
        import httpx

        body = b"[" + b",".join(_encode(m) for m in batch) + b"]"
        try:
            response = self._client.post(self.url, content=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise SinkError(f"POST {self.url} failed: {exc.__class__.__name__}: {exc}") from None
        if response.status_code >= 300:
            raise SinkError(f"POST {self.url} answered {response.status_code}: "
                            f"{response.text[:300]}")  # fmt: skip

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


class KafkaSink:
    """Produces to the attendance topic, keyed by the group's external id (per-group order)."""

    def __init__(self, bootstrap: str, topic: str = ATTENDANCE.name, producer: Any = None) -> None:
        self.topic = topic
        if producer is None:
            from kafka.errors import KafkaError

            from infra.kafka import producer as make_producer

            try:
                producer = make_producer(bootstrap, max_block_ms=int(KAFKA_TIMEOUT_S * 1000))
            except KafkaError as exc:
                raise SinkError(f"no Kafka broker at {bootstrap}: {exc}") from None
        self._producer = producer

    def send(self, batch: list[Message]) -> None:
        """Produce the batch and wait for the broker's acknowledgements."""
        from kafka.errors import KafkaError

        try:
            futures = [self._producer.send(self.topic, key=self._key(m), value=_encode(m))
                       for m in batch]  # fmt: skip
            self._producer.flush(timeout=KAFKA_TIMEOUT_S)
            for future in futures:
                future.get(timeout=KAFKA_TIMEOUT_S)
        except KafkaError as exc:
            raise SinkError(f"Kafka did not take the messages: {exc}") from None

    @staticmethod
    def _key(message: Message) -> bytes:
        return str(message.get("subject") or message["data"]["program"]).encode()

    def close(self) -> None:
        """Flush and close the producer."""
        self._producer.close(timeout=KAFKA_TIMEOUT_S)

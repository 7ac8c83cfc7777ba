"""HTTP ingest: the same contract as the attendance topic, checked by the same decoder.

``parse_attendance`` turns a request body into decoded commands (or an :class:`ApiError`
naming the field at fault); :class:`AttendancePublisher` produces the accepted messages to
``peerpulse.attendance.v1`` and waits for the broker's acknowledgement, so a 202 means the
messages are durably on the topic. A batch is all-or-nothing. Nothing queues: past a bound
or a deadline the answer is :func:`unavailable` (503 with ``Retry-After``). Personal data
never reaches the topic in clear: :func:`seal_personal` seals it with the person's key
first (docs/contract/ingest/README.md, docs/decisions/0003).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.errors import ApiError
from domain.errors import MemberForgotten
from infra.contract.inbound.decoder import INVALID_JSON, NOT_UTF8, Command, Rejection, decode
from infra.contract.inbound.ids import Ids
from infra.contract.inbound.redaction import PERSONAL_FIELDS
from infra.limits import MAX_MESSAGE_BYTES
from infra.topics import ATTENDANCE
from infra.vault import is_sealed_for_transit, seal_for_transit

MEDIA_TYPES = ("application/json", "application/cloudevents+json",
               "application/cloudevents-batch+json")  # fmt: skip
MAX_BATCH = 1000
ANSWER_DEADLINE = 0.5  # seconds the door waits for the broker's acknowledgement
RETRY_AFTER = 1  # seconds, in the Retry-After header of a 503
REQUEST_TIMEOUT_MS, DELIVERY_TIMEOUT_MS = 5000, 10000
MAX_PENDING_MESSAGES = 2 * MAX_BATCH  # held unsettled by the producer before "busy"


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


def seal_personal(accepted: list[Accepted], vault: Any) -> list[Accepted]:
    """The messages with their personal fields sealed by ``vault`` (``pp-sealed:v1.…``).

    The person is the message's member or coordinator, derived as ingest derives it. A
    message holding personal data is re-serialised (compact UTF-8 JSON, keys in order);
    the others keep their bytes. 422 ``member_forgotten`` for a person whose key is gone.
    """
    out = []
    for index, item in enumerate(accepted):
        fields = PERSONAL_FIELDS.get(item.command.type, frozenset())
        data = item.command.data
        present = [f for f in sorted(fields) if getattr(data, f, None) is not None]
        if not present:
            out.append(item)
            continue
        kind = "member" if hasattr(data, "member") else "coordinator"
        person = Ids(item.command.source, data).of(kind, getattr(data, kind))
        message = json.loads(item.value)
        try:
            for f in present:
                clear = getattr(data, f)
                sealed = is_sealed_for_transit(clear)
                message["data"][f] = clear if sealed else seal_for_transit(vault, person, clear)
        except MemberForgotten as exc:
            where = f"[{index}].data.{kind}" if len(accepted) > 1 else f"data.{kind}"
            raise ApiError(422, f"{where}: {exc}", field=where, code="member_forgotten") from None
        value = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        out.append(Accepted(item.command, item.key, value))
    return out


def _field_of(reason: str) -> tuple[str, str]:
    """Split the decoder's ``"path: message"`` reasons; reasons without a path keep whole."""
    head, sep, tail = reason.partition(": ")
    if sep and head and " " not in head:
        return ("" if head == "(root)" else head), tail
    return "", reason


def unavailable(message: str, code: str, retry_after: int = RETRY_AFTER) -> ApiError:
    """A 503 telling the sender when to re-send (``busy``, ``broker_timeout``, ...)."""
    return ApiError(503, message, code=code, headers={"Retry-After": str(retry_after)})


class AttendancePublisher:
    """Produces accepted messages to the attendance topic, never queueing behind the broker.

    At most ``max_pending`` messages are held unsettled (handed to the producer, neither
    acknowledged nor failed); a request that would go past it is refused at once. A request
    whose messages are not all acknowledged within ``timeout`` seconds is answered too: they
    may still be written, so senders re-send (ingest is idempotent by source and id). Both
    answers are 503 with ``Retry-After``. The producer is built on first use.
    """

    def __init__(
        self, bootstrap: str, topic: str = ATTENDANCE.name, timeout: float = ANSWER_DEADLINE,
        max_pending: int = MAX_PENDING_MESSAGES, retry_after: int = RETRY_AFTER,
    ) -> None:  # fmt: skip
        self.bootstrap, self.topic, self.timeout = bootstrap, topic, timeout
        self.max_pending, self.retry_after = max_pending, retry_after
        self._producer = None
        self._pending = 0
        self._lock, self._count = threading.Lock(), threading.Lock()
        self._sender: ThreadPoolExecutor | None = None

    @property
    def pending(self) -> int:
        """Messages handed to the producer and not yet settled by the broker."""
        return self._pending

    async def publish(self, accepted: list[Accepted], headers: list[tuple[str, bytes]]) -> list:
        """Produce every message and await its ack; 503 when busy, late or refused."""
        from kafka.errors import KafkaError

        self._reserve(len(accepted))
        loop = asyncio.get_running_loop()
        acks = [loop.create_future() for _ in accepted]
        attempt = _Attempt(loop, acks)
        try:
            async with asyncio.timeout(self.timeout):
                await loop.run_in_executor(self._executor(), self._send, attempt, accepted, headers)
                return await asyncio.gather(*acks)
        except TimeoutError:
            attempt.abandon()
            message = (f"the broker did not acknowledge within {self.timeout:g} s; the "
                       "messages may or may not be written: re-send them")  # fmt: skip
            raise unavailable(message, "broker_timeout", self.retry_after) from None
        except (KafkaError, OSError) as exc:
            message = f"the broker did not accept the messages: {exc.__class__.__name__}"
            raise unavailable(message, "broker_unavailable", self.retry_after) from None

    def _reserve(self, n: int) -> None:
        with self._count:
            if self._pending and self._pending + n > self.max_pending:
                message = (f"{self._pending} messages are awaiting the broker (at most "
                           f"{self.max_pending}); re-send later")  # fmt: skip
                raise unavailable(message, "busy", self.retry_after)
            self._pending += n

    def _release(self, n: int = 1) -> None:
        with self._count:
            self._pending -= n

    def _executor(self) -> ThreadPoolExecutor:
        """The one thread that hands messages to the producer (which may block on metadata)."""
        with self._count:
            if self._sender is None:
                self._sender = ThreadPoolExecutor(1, thread_name_prefix="attendance-send")
            return self._sender

    def _send(self, attempt: _Attempt, accepted: list[Accepted], headers: list) -> None:
        """On the sender thread: hand the messages to the producer unless already answered."""
        handed = 0
        try:
            if attempt.abandoned:
                return
            prod = self._get()
            for a, ack in zip(accepted, attempt.acks, strict=True):
                future = prod.send(self.topic, key=a.key, value=a.value, headers=headers)
                handed += 1
                future.add_both(attempt.settle, ack, self._release)
        finally:
            self._release(len(accepted) - handed)

    def _get(self):
        with self._lock:
            if self._producer is None:
                from infra.kafka import producer

                ms = max(1000, int(self.timeout * 1000))
                self._producer = producer(self.bootstrap, max_block_ms=ms, linger_ms=1,
                                          request_timeout_ms=REQUEST_TIMEOUT_MS,
                                          delivery_timeout_ms=DELIVERY_TIMEOUT_MS)  # fmt: skip
            return self._producer

    def close(self) -> None:
        """Stop the sender thread; flush and close the producer if one was built."""
        with self._count:
            sender, self._sender = self._sender, None
        if sender is not None:
            sender.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=DELIVERY_TIMEOUT_MS / 1000)


class _Attempt:
    """One request's acks, settled from the producer's thread onto the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, acks: list[asyncio.Future]) -> None:
        self.loop, self.acks, self.abandoned = loop, acks, False

    def abandon(self) -> None:
        """The request was answered: messages not yet handed to the producer stay unsent."""
        self.abandoned = True

    def settle(self, ack: asyncio.Future, release, outcome: Any) -> None:
        """The broker acknowledged one message (its metadata) or the producer gave it up."""
        release()

        def apply() -> None:
            if ack.done():
                return
            if isinstance(outcome, BaseException):
                ack.set_exception(outcome)
            else:
                ack.set_result(outcome)

        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self.loop.call_soon_threadsafe(apply)

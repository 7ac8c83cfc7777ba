"""Pure decoding of one Kafka message into a :class:`Command` or a :class:`Rejection`.

Nothing here touches Kafka, the clock or the event store: ``now`` comes in as an
argument, so a replay decodes exactly as the first run did. Every way input can be bad
ends in a :class:`Rejection` with a bounded ``code`` (a metric label) and a ``reason``
a person can act on (it names the offending field path).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from infra.contract.inbound.messages import BY_TYPE, KNOWN_NAMES, PREFIX, Envelope
from infra.limits import MAX_MESSAGE_BYTES

_TYPE = re.compile(rb'"type"\s*:\s*"([a-z0-9.\-]{1,100})"')
MAX_CLOCK_SKEW = timedelta(days=1)
MAX_PAST = timedelta(days=3653)
"""How far before its receipt a message may have happened (ten years: any program's
history). An older time is refused (``past_time``): judging a group silent since a distant
past would mean thousands of judgements per group in one step, a wedge for the worker."""

EMPTY = "empty"
TOO_LARGE = "too_large"
NOT_UTF8 = "not_utf8"
INVALID_JSON = "invalid_json"
UNSUPPORTED_MODE = "unsupported_mode"
UNKNOWN_TYPE = "unknown_type"
UNKNOWN_VERSION = "unknown_version"
MISSING_FIELD = "missing_field"
UNEXPECTED_FIELD = "unexpected_field"
INVALID_FIELD = "invalid_field"
FUTURE_TIME = "future_time"
PAST_TIME = "past_time"
DOMAIN_ERROR = "domain_error"
UNPROCESSABLE = "unprocessable"
"""A valid message that applying failed on for a reason of its own (a defect, not the
store or the network): dead-lettered so it cannot stop ingest."""
CODES = (
    EMPTY, TOO_LARGE, NOT_UTF8, INVALID_JSON, UNSUPPORTED_MODE, UNKNOWN_TYPE, UNKNOWN_VERSION,
    MISSING_FIELD, UNEXPECTED_FIELD, INVALID_FIELD, FUTURE_TIME, PAST_TIME, DOMAIN_ERROR,
    UNPROCESSABLE,
)  # fmt: skip

Headers = Mapping[str, bytes] | Iterable[tuple[str, bytes | None]] | None


@dataclass(frozen=True)
class Rejection:
    """Why a message cannot be applied: ``code`` is one of :data:`CODES`."""

    code: str
    reason: str


@dataclass(frozen=True)
class Command:
    """A valid inbound message: its wire type, event time (UTC), sender and contents."""

    type: str
    occurred_at: datetime
    source: str
    message: Envelope

    @property
    def data(self) -> Any:
        """The type-specific payload (:mod:`infra.contract.inbound.payloads`)."""
        return self.message.data


def decode(raw: bytes | None, headers: Headers, now: datetime) -> Command | Rejection:
    """Validate one message against the ingest contract; never raises on bad input.

    A valid message is parsed once, by the model its sniffed ``type`` names (the model
    checks the real top-level ``type`` itself); anything else takes the careful path
    that names the first thing wrong with it.
    """
    model = _sniffed_model(raw, headers)
    if model is not None:
        try:
            return _command(model.model_validate_json(raw), now)
        except ValidationError:
            pass
    early = _check_bytes(raw, headers)
    if isinstance(early, Rejection):
        return early
    type_name = _type_name(early)
    if isinstance(type_name, Rejection):
        return type_name
    try:
        message = BY_TYPE[type_name].model_validate_json(raw)
    except ValidationError as exc:
        return _from_validation(exc)
    return _command(message, now)


def _sniffed_model(raw: bytes | None, headers: Headers) -> type[Envelope] | None:
    if not raw or len(raw) > MAX_MESSAGE_BYTES or "ce_specversion" in _header_names(headers):
        return None
    found = _TYPE.search(raw)
    return BY_TYPE.get(found.group(1).decode("ascii", "replace")) if found else None


def _command(message: Envelope, now: datetime) -> Command | Rejection:
    occurred_at = message.time.astimezone(UTC)
    if occurred_at > now + MAX_CLOCK_SKEW:
        return Rejection(
            FUTURE_TIME,
            f"time: {message.time.isoformat()} is more than a day after {now.isoformat()}",
        )
    if occurred_at < now - MAX_PAST:
        return Rejection(
            PAST_TIME,
            f"time: {message.time.isoformat()} is more than ten years before {now.isoformat()}",
        )
    return Command(message.type, occurred_at, message.source, message)


def _check_bytes(raw: bytes | None, headers: Headers) -> Any:
    """Size, encoding, JSON syntax and mode; returns the parsed JSON or a rejection."""
    if raw is None or raw == b"":
        return Rejection(EMPTY, "the message has no value")
    if len(raw) > MAX_MESSAGE_BYTES:
        return Rejection(
            TOO_LARGE, f"the message is {len(raw)} bytes; the limit is {MAX_MESSAGE_BYTES}"
        )
    if "ce_specversion" in _header_names(headers):
        return Rejection(UNSUPPORTED_MODE, "CloudEvents binary mode: send structured JSON")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(NOT_UTF8, f"byte {exc.start} is not UTF-8: {exc.reason}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        return Rejection(INVALID_JSON, f"not JSON: {str(exc)[:200]}")


def _type_name(obj: Any) -> str | Rejection:
    """The message's ``type`` if peerpulse knows it; else why not."""
    if not isinstance(obj, dict):
        return Rejection(
            INVALID_FIELD, f"(root): a CloudEvent must be a JSON object, not {_kind(obj)}"
        )
    if "type" not in obj:
        return Rejection(MISSING_FIELD, "type: field required")
    type_name = obj["type"]
    if not isinstance(type_name, str):
        return Rejection(INVALID_FIELD, f"type: must be a string, not {_kind(type_name)}")
    if type_name in BY_TYPE:
        return type_name
    name = type_name[len(PREFIX) :].rsplit(".", 1)[0] if type_name.startswith(PREFIX) else ""
    if name in KNOWN_NAMES:
        return Rejection(UNKNOWN_VERSION, f"type: version of {type_name[:200]!r} is not supported")
    return Rejection(UNKNOWN_TYPE, f"type: {type_name[:200]!r} is not an ingest message type")


def _from_validation(exc: ValidationError) -> Rejection:
    """The first validation error, as a code and a reason naming the field path."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    path = ".".join(str(part) for part in first["loc"]) or "(root)"
    code = {"missing": MISSING_FIELD, "extra_forbidden": UNEXPECTED_FIELD}.get(
        first["type"], INVALID_JSON if first["type"] == "json_invalid" else INVALID_FIELD
    )
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Rejection(code, f"{path}: {first['msg']}{more}"[:1000])


def _header_names(headers: Headers) -> set[str]:
    if not headers:
        return set()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {str(name).lower() for name, _ in pairs}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )

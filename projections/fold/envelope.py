"""Decoded public domain events: the only shape the projection core consumes.

The wire format is CloudEvents 1.0 structured JSON on ``peerpulse.events.v1``
(docs/contract/EVENTS.md). :func:`decode` (JSON by pydantic-core's ``from_json``: about
3x stdlib ``json``, and it reuses one string object for repeated short strings such as
member ids, which keeps the states small) turns one Kafka record (value bytes plus
headers) into an :class:`Envelope`; everything downstream works on envelopes, never on
domain classes, so the projections depend only on the public contract.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_core import from_json

TICK = "peerpulse.clock.ticked.v1"
VERSION_HEADER = "pp-aggregate-version"
AGGREGATE_HEADER = "pp-aggregate-id"


class UndecodableEvent(ValueError):
    """A record on the events topic that is not a CloudEvent the projections understand."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """One public domain event as the projections see it.

    ``partition`` and ``offset`` locate the record on the topic; ``version`` is the
    aggregate version used to ignore redelivered events.
    """

    type: str
    subject: str
    time: datetime
    data: Mapping[str, Any]
    aggregate_id: str
    version: int
    partition: int = 0
    offset: int = -1
    id: str = field(default="", compare=False)


def parse_time(value: str | datetime) -> datetime:
    """An ISO 8601 timestamp (``Z`` or offset) as an aware datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _header_map(headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> dict[str, str]:
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for key, value in items:
        out[key] = value.decode() if isinstance(value, bytes | bytearray) else str(value)
    return out


def _loads(value: bytes | str) -> Any:
    """JSON text to Python, fast; what pydantic-core refuses goes through ``json`` (which
    accepts e.g. lone surrogate escapes), so the same records decode as before."""
    try:
        return from_json(value)
    except ValueError:
        return json.loads(value)


def decode(
    value: bytes | str | Mapping[str, Any],
    headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    partition: int = 0,
    offset: int = -1,
) -> Envelope:
    """Decode one record; raises :class:`UndecodableEvent` with the reason if it is not one."""
    try:
        doc = value if isinstance(value, Mapping) else _loads(value)
        hdrs = _header_map(headers)
        event_id = str(doc.get("id", ""))
        aggregate_id, _, id_version = event_id.rpartition(":")
        version = int(hdrs.get(VERSION_HEADER) or id_version or 0)
        return Envelope(
            type=doc["type"],
            subject=str(doc.get("subject") or aggregate_id),
            time=parse_time(doc["time"]),
            data=doc.get("data") or {},
            aggregate_id=hdrs.get(AGGREGATE_HEADER) or aggregate_id,
            version=version,
            partition=partition,
            offset=offset,
            id=event_id,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UndecodableEvent(f"{exc.__class__.__name__}: {exc}") from exc

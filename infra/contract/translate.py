"""Stored domain event -> Kafka record: the only place domain objects meet the wire.

Fields are copied by name from the domain event to its wire model (the catalogue in
docs/contract/EVENTS.md keeps the names equal); datetimes become UTC.
Group events carry ``program_id`` from the event itself or, if the domain event does
not have it, from ``program_of(group_id)`` (the Group aggregate's state).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple, get_args
from uuid import UUID

from pydantic import AwareDatetime

from infra.contract.base import GroupData, WireData
from infra.contract.registry import BY_DOMAIN

EVERY_PARTITION = -1
"""``WireRecord.partition`` of an event the relay publishes to every partition (ticks)."""
CLOCK_KEY = b"clock"
FAN_OUT = frozenset({"Clock.Ticked"})
NOT_PUBLISHED: frozenset[str] = frozenset({"Clock.Started"}) | frozenset(
    f"UnmatchedAttendance.{e}"
    for e in ("Started", "AttendanceHeld", "AttendanceReleased", "AttendanceMapped",
              "AttendanceRejected")
)  # fmt: skip
"""Internal bookkeeping events kept off the wire; any other unknown class is an error.
The unmatched list (decision 0021) holds senders' raw ids and is read from the store."""


class WireRecord(NamedTuple):
    """One Kafka record: key, CloudEvents JSON value, pp-* headers, partition or None."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    partition: int | None


class NotInContract(LookupError):
    """A stored domain event whose class has no wire model in the catalogue."""


def domain_name(event: object) -> str:
    """``"Aggregate.Event"`` for a nested eventsourcing event class."""
    return type(event).__qualname__


def is_published(event: object) -> bool:
    """Whether ``event`` belongs on the wire (False only for ``NOT_PUBLISHED`` classes)."""
    return domain_name(event) not in NOT_PUBLISHED


def _is_datetime(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, datetime) or annotation is AwareDatetime
    return any(_is_datetime(arg) for arg in get_args(annotation))


class _Plan(NamedTuple):
    model: type[WireData]
    fields: tuple[str, ...]
    datetimes: tuple[str, ...]
    """The fields published in UTC (converted here; only these, it runs per event)."""
    needs_program: bool
    fan_out: bool
    type_header: bytes


@cache
def _plan(name: str) -> _Plan:
    model = BY_DOMAIN.get(name)
    if model is None:
        raise NotInContract(f"domain event {name} has no wire type in docs/contract/EVENTS.md")
    fields = tuple(model.model_fields)
    datetimes = tuple(k for k, f in model.model_fields.items() if _is_datetime(f.annotation))
    return _Plan(
        model,
        fields,
        datetimes,
        issubclass(model, GroupData),
        name in FAN_OUT,
        model.TYPE.encode(),
    )


def _data(event: Any, plan: _Plan, program_of: Callable[[UUID], UUID] | None) -> WireData:
    state = event.__dict__
    fields = {name: state[name] for name in plan.fields if name in state}
    for name in plan.datetimes:
        moment = fields.get(name)
        if isinstance(moment, datetime):
            fields[name] = moment.astimezone(UTC)
    if plan.needs_program and "program_id" not in fields:
        if program_of is None:
            raise NotInContract(f"{plan.model.DOMAIN} carries no program_id and no resolver")
        fields["program_id"] = program_of(event.originator_id)
    return plan.model.model_validate(fields, strict=False)


def _utc_iso(moment: datetime) -> bytes:
    """ISO 8601 in UTC with a ``Z``, exactly as pydantic serialises an aware datetime."""
    return moment.astimezone(UTC).isoformat().removesuffix("+00:00").encode() + b"Z"


def _json(data: WireData) -> bytes:
    return data.__pydantic_serializer__.to_json(data)


def to_wire(
    event: Any, position: int, *, program_of: Callable[[UUID], UUID] | None = None
) -> WireRecord:
    """The record for stored domain ``event`` at notification ``position``.

    Raises :class:`NotInContract` for an event class missing from the catalogue and
    ``pydantic.ValidationError`` when the event does not fit its wire model. The value
    is byte-for-byte ``encode(envelope(data, ...))``, assembled without re-validating
    the envelope (its fields come from the stored event's own id, version and time).
    """
    plan = _plan(type(event).__qualname__)
    data = _data(event, plan, program_of)
    subject = str(event.originator_id).encode()
    version = str(event.originator_version).encode()
    value = b"".join(
        (
            b'{"specversion":"1.0","id":"',
            subject,
            b":",
            version,
            b'","source":"peerpulse/domain","type":"',
            plan.type_header,
            b'","subject":"',
            subject,
            b'","time":"',
            _utc_iso(event.timestamp),
            b'","datacontenttype":"application/json","data":',
            _json(data),
            b"}",
        )
    )
    headers = [
        ("pp-aggregate-id", subject),
        ("pp-aggregate-version", version),
        ("pp-position", str(position).encode()),
        ("pp-type", plan.type_header),
    ]
    if plan.fan_out:
        return WireRecord(CLOCK_KEY, value, headers, EVERY_PARTITION)
    return WireRecord(subject, value, headers, None)

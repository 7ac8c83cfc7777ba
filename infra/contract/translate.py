"""Stored domain event -> Kafka record: the only place domain objects meet the wire.

Fields are copied by name from the domain event to its wire model (the catalogue in
docs/contract/EVENTS.md keeps the names equal); datetimes become UTC, collections lists.
Group events carry ``program_id`` from the event itself or, if the domain event does
not have it, from ``program_of(group_id)`` (the Group aggregate's state).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

from infra.contract.base import GroupData, WireData
from infra.contract.registry import BY_DOMAIN, encode, envelope

EVERY_PARTITION = -1
"""``WireRecord.partition`` of an event the relay publishes to every partition (ticks)."""
CLOCK_KEY = b"clock"
FAN_OUT = frozenset({"Clock.Ticked"})
NOT_PUBLISHED: frozenset[str] = frozenset({"Clock.Started"})
"""Internal bookkeeping events kept off the wire; any other unknown class is an error."""


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


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, tuple | set | frozenset):
        return [_wire_value(v) for v in value]
    return value


def _data(event: Any, model: type[WireData], program_of: Callable[[UUID], UUID] | None) -> WireData:
    fields: dict[str, Any] = {}
    for name in model.model_fields:
        if hasattr(event, name):
            fields[name] = _wire_value(getattr(event, name))
    if issubclass(model, GroupData) and "program_id" not in fields:
        if program_of is None:
            raise NotInContract(f"{model.DOMAIN} carries no program_id and no resolver was given")
        fields["program_id"] = program_of(event.originator_id)
    return model.model_validate(fields, strict=False)


def to_wire(
    event: Any, position: int, *, program_of: Callable[[UUID], UUID] | None = None
) -> WireRecord:
    """The record for stored domain ``event`` at notification ``position``.

    Raises :class:`NotInContract` for an event class missing from the catalogue and
    ``pydantic.ValidationError`` when the event does not fit its wire model.
    """
    name = domain_name(event)
    model = BY_DOMAIN.get(name)
    if model is None:
        raise NotInContract(f"domain event {name} has no wire type in docs/contract/EVENTS.md")
    aggregate_id = str(event.originator_id)
    version = str(event.originator_version)
    cloud_event = envelope(
        _data(event, model, program_of),
        id=f"{aggregate_id}:{version}",
        subject=aggregate_id,
        time=event.timestamp.astimezone(UTC),
    )
    headers = [
        ("pp-aggregate-id", aggregate_id.encode()),
        ("pp-aggregate-version", version.encode()),
        ("pp-position", str(position).encode()),
        ("pp-type", model.TYPE.encode()),
    ]
    if name in FAN_OUT:
        return WireRecord(CLOCK_KEY, encode(cloud_event), headers, EVERY_PARTITION)
    return WireRecord(aggregate_id.encode(), encode(cloud_event), headers, None)

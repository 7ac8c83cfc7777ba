"""Build an ``intervention.logged`` ingest message: what the CLI and the API will publish.

A coordinator's action travels like every other fact from outside: as an inbound message
on the attendance topic, applied by ingest (decision 0019). This builds (and validates)
that message from plain values, so the CLI and the dashboard need not assemble
CloudEvents by hand; bad values raise :class:`InvalidIntervention` with one line naming
the field.
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from pydantic import ValidationError

from infra.contract.inbound.decoder import _from_validation
from infra.contract.inbound.messages import InterventionLoggedV1, type_of

TYPE = type_of(InterventionLoggedV1)


class InvalidIntervention(ValueError):
    """The values do not make a valid ``intervention.logged`` message (one-line reason)."""


def intervention_message(
    *,
    source: str,
    program: str,
    group: str,
    coordinator: str,
    kind: str,
    occurred_at: datetime,
    note: str = "",
    merged_into: str | None = None,
    message_id: str | None = None,
) -> InterventionLoggedV1:
    """The validated message: ids are the sender's (``source``'s) external ids, as in
    every ingest message; ``message_id`` defaults to a fresh random id."""
    data = {"program": program, "group": group, "coordinator": coordinator, "kind": kind,
            "note": note, "merged_into": merged_into}  # fmt: skip
    body = {"specversion": "1.0", "id": message_id or f"intervention-{uuid4().hex}",
            "source": source, "type": TYPE, "time": occurred_at, "subject": group,
            "data": data}  # fmt: skip
    try:
        return InterventionLoggedV1.model_validate(body)
    except ValidationError as exc:
        raise InvalidIntervention(_from_validation(exc).reason) from None


def encoded(message: InterventionLoggedV1) -> bytes:
    """The structured-mode JSON bytes to publish on the attendance topic (key: ``subject``)."""
    return message.model_dump_json(exclude_none=True).encode()

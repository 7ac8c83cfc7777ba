"""The thin adapter from simulated facts to ingest-contract messages (CloudEvents JSON).

The simulator speaks only the public ingest contract (``infra/contract/inbound/``),
exactly as a calendar, LMS or check-in app would; nothing here knows peerpulse internals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from infra.simulator.plan import Fact

TYPES: dict[str, str] = {
    "program_launched": "program.launched",
    "coordinator_assigned": "coordinator.assigned",
    "group_formed": "group.formed",
    "member_joined": "member.joined",
    "member_left": "member.left",
    "session_scheduled": "session.scheduled",
    "session_held": "session.held",
    "session_cancelled": "session.cancelled",
    "attendance_marked": "attendance.marked",
    "commitment_made": "commitment.made",
    "commitment_kept": "commitment.kept",
    "commitment_missed": "commitment.missed",
    "group_paused": "group.paused",
    "group_resumed": "group.resumed",
}
"""Fact kind -> the middle of the ingest ``type`` (``peerpulse.ingest.<this>.v1``)."""


def iso(t: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, as the senders write it."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_message(fact: Fact, program: str, source: str) -> dict[str, Any]:
    """The CloudEvents dict a sending system would publish for ``fact``."""
    data: dict[str, Any] = {"program": program}
    if fact.group:
        data["group"] = fact.group
    data.update({k: _jsonable(v) for k, v in fact.data.items()})
    message = {
        "specversion": "1.0",
        "id": f"{program}:{fact.key}",
        "source": source,
        "type": f"peerpulse.ingest.{TYPES[fact.kind]}.v1",
        "time": iso(fact.at),
        "datacontenttype": "application/json",
        "data": data,
    }
    if fact.group:
        message["subject"] = fact.group
    return message


def validate(message: dict[str, Any]) -> Any:
    """Parse ``message`` with the ingest contract's models; raises ``ValidationError``."""
    import json

    from infra.contract.inbound.messages import MESSAGE_ADAPTER

    return MESSAGE_ADAPTER.validate_json(json.dumps(message))

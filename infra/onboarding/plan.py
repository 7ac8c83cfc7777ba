"""What one onboarding row would change, judged against what peerpulse already knows.

The truth is the event store (the ``EngagementApp``'s programs and groups, and the
coordinators a program holds, their name and contact opened through the vault): the read
model lags it, and the alert router's directory is fed from it. Each row is one
:class:`Change`: ``create``, ``change`` (with the fields that differ), ``unchanged`` or
``leave``, and the ingest message type that says it (none when nothing would change).
A provisional program or group (named by attendance before the roster, decision 0015)
counts as ``create``: the row gives its real details.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import NotACoordinator, UnknownGroup, UnknownProgram
from infra.contract.inbound.ids import Ids
from infra.contract.inbound.payloads import (
    CoordinatorAssigned,
    GroupFormed,
    MemberJoined,
    ProgramLaunched,
)
from infra.onboarding.rows import MODELS, Row

T = "peerpulse.ingest.{}.v1"


@dataclass(frozen=True)
class Change:
    """What a row would do: the action, what it names, the fields that differ, the type."""

    action: str
    what: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    type: str | None = None

    def __str__(self) -> str:
        said = f"{self.action:<9} {self.what}"
        if self.fields:
            said += ": " + ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in
                                     self.fields.items())  # fmt: skip
        return said


class Conflict(ValueError):
    """The row contradicts what peerpulse knows in a way no message can change."""


def plan(app: Any, source: str, row: Row) -> Change:
    """What applying ``row`` (from ``source``) would change; :class:`Conflict` if it cannot."""
    return _PLANS[row.kind](app, Ids(source, _Data(row.data)), row)


class _Data:
    def __init__(self, data: dict[str, Any]) -> None:
        self.program, self.group = data.get("program"), data.get("group")


def message(source: str, row: Row, change: Change, now: datetime) -> bytes:
    """The ingest message (structured CloudEvents JSON) that makes ``change`` at ``now``
    (its id: a hash of what it says and when; unchanged rows send nothing at all)."""
    assert change.type is not None
    data = MODELS[row.kind].model_validate(row.data).model_dump(mode="json", exclude_none=True)
    if change.type == T.format("member.left"):
        data = {k: data[k] for k in ("program", "group", "member")}
    elif change.type == T.format("member.role_changed"):
        data = {k: data[k] for k in ("program", "group", "member", "role")}
    said = json.dumps([change.type, data, now.isoformat()], sort_keys=True).encode()
    body = {"specversion": "1.0", "id": f"onboard-{hashlib.sha256(said).hexdigest()[:32]}",
            "source": source, "type": change.type, "time": now.isoformat(),
            "subject": data.get("group", data["program"]), "data": data}  # fmt: skip
    return json.dumps(body).encode()


def _program(app: Any, ids: Ids, row: Row) -> Change:
    wanted = ProgramLaunched.model_validate(row.data)
    what = f"program {wanted.program}"
    found = _find(app.get_program, ids.program, UnknownProgram)
    if found is None or found.provisional:
        return Change("create", what, type=T.format("program.launched"))
    names = ("name", "organisation", "cadence", "lapse_after", "escalate_after_days", "auto_create")
    now = dict(zip(names, found.details(), strict=True))
    return _compare(what, now, wanted.model_dump(include=set(names)), "program.changed")


def _coordinator(app: Any, ids: Ids, row: Row) -> Change:
    wanted = CoordinatorAssigned.model_validate(row.data)
    what = f"coordinator {wanted.coordinator} of program {wanted.program}"
    try:
        known = app.coordinator_contact(ids.program, ids.of("coordinator", wanted.coordinator))
    except (UnknownProgram, NotACoordinator):
        return Change("create", what, type=T.format("coordinator.assigned"))
    names = ("name", "contact", "time_zone", "channel", "digest", "digest_hour")
    now = {n: getattr(known, n) for n in names}
    return _compare(what, now, wanted.model_dump(include=set(names)), "coordinator.assigned")


def _group(app: Any, ids: Ids, row: Row) -> Change:
    wanted = GroupFormed.model_validate(row.data)
    what = f"group {wanted.group} of program {wanted.program}"
    found = _find(app.get_group, ids.group, UnknownGroup)
    if found is None or found.provisional:
        return Change("create", what, type=T.format("group.formed"))
    if found.program_id != ids.program:
        raise Conflict(f"group {wanted.group} belongs to another program")
    coordinator = ids.of("coordinator", wanted.coordinator) if wanted.coordinator else None
    now = dict(zip(("name", "cadence", "goal", "coordinator"), found.details(), strict=True))
    now["coordinator"] = _ext(now["coordinator"], coordinator, wanted.coordinator)
    new = {"name": wanted.name, "cadence": wanted.cadence, "goal": wanted.goal,
           "coordinator": wanted.coordinator}  # fmt: skip
    return _compare(what, now, new, "group.changed")


def _member(app: Any, ids: Ids, row: Row) -> Change:
    wanted = MemberJoined.model_validate(row.data)
    what = f"member {wanted.member} of group {wanted.group}"
    found = _find(app.get_group, ids.group, UnknownGroup)
    member = str(ids.of("member", wanted.member))
    role = None if found is None else found.members.get(member)
    if row.left:
        if role is None:
            return Change("unchanged", what + " (not on the roster)")
        return Change("leave", what, type=T.format("member.left"))
    if role is None:
        return Change("create", what, type=T.format("member.joined"))
    if member in found.provisional_members:  # joined by a mark: the roster's role replaces it
        return Change("change", what, {"role": ("(provisional)", wanted.role)},
                      T.format("member.joined"))  # fmt: skip
    return _compare(what, {"role": role}, {"role": wanted.role}, "member.role_changed")


def _compare(what: str, now: dict[str, Any], new: dict[str, Any], type_name: str) -> Change:
    differ = {k: (now[k], new[k]) for k in new if now[k] != new[k]}
    if not differ:
        return Change("unchanged", what)
    return Change("change", what, differ, T.format(type_name))


def _find(get: Any, aggregate_id: UUID, missing: type[Exception]) -> Any:
    try:
        return get(aggregate_id)
    except missing:
        return None


def _ext(current: UUID | None, wanted: UUID | None, wanted_external: str | None) -> str | None:
    """The group's coordinator as the row's external id when it is the same person."""
    if current is None:
        return None
    return wanted_external if current == wanted else str(current)


_PLANS = {"programs": _program, "coordinators": _coordinator, "groups": _group,
          "rosters": _member}  # fmt: skip

"""Carries out one decoded ingest command on the EngagementApp, under the ordering rule.

Other systems' ids become peerpulse ids with :func:`domain.ids.derive_id`, scoped by the
message's ``source``; sessions and commitments are scoped by their group too. Messages
that arrive before the roster provision what they name (docs/decisions/0015): a missing
program or group is created provisionally, a member not on the roster joins as a peer, a
roll call for a session already held (by one-by-one marks) is merged mark by mark. The
real ``program.launched``/``group.formed``/``member.joined`` arriving later amends the
provisional details (``DetailsAmended``, ``MemberRoleChanged``) instead of failing; a
commitment settled before it was made is recorded bare, and the late ``commitment.made``
fills in its session and due date (``CommitmentAmended``). Personal data the HTTP door
sealed is opened with the person's key and handed on like clear text (the domain seals it
again with the same key; re-sending stays idempotent); one that does not open is refused.
Run inside ``app.batch()`` so the provisioning and the command commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from consumers.ingest import payloads as p
from consumers.ingest.decoder import Command
from domain.errors import InvalidCommand
from domain.group import Group
from domain.ids import derive_id
from domain.program import Program
from infra.vault import is_sealed_for_transit, open_from_transit

PROVISIONAL_CADENCE = "weekly"


class Ids:
    """The peerpulse ids of the external ids one command names."""

    def __init__(self, source: str, data: Any) -> None:
        self.source, self.data = source, data

    def of(self, kind: str, external: str) -> UUID:
        """The id of an external id of ``kind`` from this command's source."""
        if kind in ("session", "commitment"):
            external = f"{self.data.group}/{external}"
        return derive_id(kind, self.source, external)

    @property
    def program(self) -> UUID:
        return self.of("program", self.data.program)

    @property
    def group(self) -> UUID:
        return self.of("group", self.data.group)

    def members(self, externals: list[str]) -> list[UUID]:
        return [self.of("member", m) for m in externals]


def apply(app: Any, command: Command) -> None:
    """Issue the app calls one command stands for (raises the app's DomainError)."""
    ids = Ids(command.source, command.data)
    HANDLERS[command.type.removeprefix("peerpulse.ingest.").removesuffix(".v1")](
        app, ids, command.data, command.occurred_at
    )


def utc(moment: datetime | None) -> datetime | None:
    """The same instant with the standard library's UTC tzinfo."""
    return None if moment is None else moment.astimezone(UTC)


def _find(app: Any, aggregate_id: UUID, kind: type) -> Any:
    """The aggregate as the current batch sees it, or None."""
    with app.unit() as uow:
        return uow.find(aggregate_id, kind)


def ensure_program(app: Any, ids: Ids, now: Any, cadence: str = PROVISIONAL_CADENCE) -> Program:
    """The program, launched provisionally (named by its external id) if never seen."""
    program = _find(app, ids.program, Program)
    if program is None:
        app.launch_program(
            ids.program, ids.data.program, ids.source, cadence, now, provisional=True
        )
        program = _find(app, ids.program, Program)
    return program


def ensure_group(app: Any, ids: Ids, now: Any) -> Group:
    """The group, formed provisionally with its program's cadence if never seen."""
    group = _find(app, ids.group, Group)
    if group is None:
        program = ensure_program(app, ids, now)
        app.form_group(
            ids.group, ids.program, ids.data.group, program.cadence, "", now, provisional=True
        )
        group = _find(app, ids.group, Group)
    return group


def ensure_members(app: Any, ids: Ids, members: list[UUID], now: Any) -> Group:
    """Members not on the roster (and never on it) join as peers."""
    group = ensure_group(app, ids, now)
    for member in members:
        if str(member) not in group.members and str(member) not in group.former:
            app.join_member(ids.group, member, "peer", now, provisional=True)
    return group


def _program_launched(app: Any, ids: Ids, d: p.ProgramLaunched, now: Any) -> None:
    app.launch_program(
        ids.program, d.name, d.organisation, d.cadence, now, d.lapse_after, d.escalate_after_days
    )


def opened(app: Any, person: UUID, value: str | None, field: str) -> str | None:
    """``value``, or the clear text of a value the HTTP door sealed with ``person``'s key."""
    if not is_sealed_for_transit(value):
        return value
    clear = open_from_transit(app.vault, person, value)
    if clear is None:
        raise InvalidCommand(f"data.{field} is sealed but does not open with this person's "
                             "key (sealed for someone else, or they were forgotten)")  # fmt: skip
    return clear


def _coordinator_assigned(app: Any, ids: Ids, d: p.CoordinatorAssigned, now: Any) -> None:
    ensure_program(app, ids, now)
    who = ids.of("coordinator", d.coordinator)
    name, contact = opened(app, who, d.name, "name"), opened(app, who, d.contact, "contact")
    app.assign_coordinator(
        ids.program, who, name, contact, d.time_zone,
        d.channel, now, digest=d.digest, digest_hour=d.digest_hour,
    )  # fmt: skip


def _group_formed(app: Any, ids: Ids, d: p.GroupFormed, now: Any) -> None:
    ensure_program(app, ids, now, d.cadence)
    coordinator = ids.of("coordinator", d.coordinator) if d.coordinator else None
    app.form_group(ids.group, ids.program, d.name, d.cadence, d.goal, now, coordinator)


def _member_joined(app: Any, ids: Ids, d: p.MemberJoined, now: Any) -> None:
    ensure_group(app, ids, now)
    member = ids.of("member", d.member)
    if d.display_name is not None or d.contact is not None:
        pseudonym = d.pseudonym or f"member-{member.hex[:8]}"
        name = opened(app, member, d.display_name, "display_name") or ""
        contact = opened(app, member, d.contact, "contact") or ""
        app.register_member(member, pseudonym, name, contact, now)
    app.join_member(ids.group, member, d.role, now)


def _member_left(app: Any, ids: Ids, d: p.MemberLeft, now: Any) -> None:
    ensure_members(app, ids, [ids.of("member", d.member)], now)
    app.leave_member(ids.group, ids.of("member", d.member), now)


def _session_scheduled(app: Any, ids: Ids, d: p.SessionScheduled, now: Any) -> None:
    group = ensure_group(app, ids, now)
    session = group.sessions.get(str(ids.of("session", d.session)))
    if session is not None and session["status"] != "scheduled":
        return  # superseded: the session already took place or was called off
    app.schedule_session(ids.group, ids.of("session", d.session), utc(d.scheduled_for), now)


def _session_held(app: Any, ids: Ids, d: p.SessionHeld, now: Any) -> None:
    lists = {s: ids.members(getattr(d, s)) for s in ("present", "absent", "excused")}
    group = ensure_members(app, ids, [m for ms in lists.values() for m in ms], now)
    session_id = ids.of("session", d.session)
    session = group.sessions.get(str(session_id))
    if session is None or session["status"] != "held":
        app.hold_session(ids.group, session_id, now, **lists, attendance_taken=d.attendance_taken)
        return
    for status, members in lists.items():  # held already (one-by-one marks): merge
        for member in members:
            app.mark_attendance(ids.group, session_id, member, status, now)


def _attendance_marked(app: Any, ids: Ids, d: p.AttendanceMarked, now: Any) -> None:
    member = ids.of("member", d.member)
    ensure_members(app, ids, [member], now)
    app.mark_attendance(ids.group, ids.of("session", d.session), member, d.status, now)


def _session_cancelled(app: Any, ids: Ids, d: p.SessionCancelled, now: Any) -> None:
    ensure_group(app, ids, now)
    app.cancel_session(ids.group, ids.of("session", d.session), d.reason, now)


def _commitment_made(app: Any, ids: Ids, d: p.CommitmentMade, now: Any) -> None:
    member = ids.of("member", d.member)
    ensure_members(app, ids, [member], now)
    session = ids.of("session", d.session) if d.session else None
    app.make_commitment(
        ids.group, ids.of("commitment", d.commitment), member, now, session, utc(d.due)
    )


def _settle(method: str) -> Callable[..., None]:
    def settle(app: Any, ids: Ids, d: p.CommitmentSettled, now: Any) -> None:
        member, commitment = ids.of("member", d.member), ids.of("commitment", d.commitment)
        group = ensure_members(app, ids, [member], now)
        if str(commitment) not in group.commitments:  # settled before we heard it was made
            app.make_commitment(ids.group, commitment, member, now)
        getattr(app, method)(ids.group, commitment, now)

    return settle


def _group_paused(app: Any, ids: Ids, d: p.GroupPaused, now: Any) -> None:
    ensure_group(app, ids, now)
    app.pause_group(ids.group, utc(d.until), d.reason, now)


def _group_resumed(app: Any, ids: Ids, d: p.GroupResumed, now: Any) -> None:
    ensure_group(app, ids, now)
    app.resume_group(ids.group, now)


HANDLERS: dict[str, Callable[..., None]] = {
    "program.launched": _program_launched,
    "coordinator.assigned": _coordinator_assigned,
    "group.formed": _group_formed,
    "member.joined": _member_joined,
    "member.left": _member_left,
    "session.scheduled": _session_scheduled,
    "session.held": _session_held,
    "session.cancelled": _session_cancelled,
    "attendance.marked": _attendance_marked,
    "commitment.made": _commitment_made,
    "commitment.kept": _settle("keep_commitment"),
    "commitment.missed": _settle("miss_commitment"),
    "group.paused": _group_paused,
    "group.resumed": _group_resumed,
}

"""Translates one decoded inbound message into the one intake use case it stands for.

Nothing is decided here: how early messages provision what they name and how late ones
merge is the domain's (:mod:`domain.intake`, decision 0015). This module only translates
the wire: the sender's ids become peerpulse ids (:class:`~infra.contract.inbound.ids.Ids`,
scoped by the message's ``source``), times become UTC, and personal data the HTTP door
sealed is opened with the person's key and handed on like clear text (the domain seals it
again with the same key, so re-sending stays idempotent); one that does not open is
refused. One message, one application call: the consumer runs it inside ``app.batch()``
so its effects commit with the Kafka position.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from uuid import UUID

from domain.application import EngagementApp
from domain.errors import InvalidCommand
from domain.intake import NamedGroup, NamedProgram, Person
from infra.contract.inbound import messages as m
from infra.contract.inbound.decoder import Command
from infra.contract.inbound.ids import Ids
from infra.vault import is_sealed_for_transit, open_from_transit


def apply(app: EngagementApp, command: Command) -> None:
    """Make the one intake call ``command`` stands for (raises the app's DomainError)."""
    ids, now = Ids(command.source, command.data), command.occurred_at
    match command.message:
        case m.ProgramLaunchedV1(data=d):
            app.intake_program_launched(_program(ids), d.name, d.organisation, d.cadence, now,
                                        d.lapse_after, d.escalate_after_days,
                                        d.auto_create)  # fmt: skip
        case m.ProgramChangedV1(data=d):
            app.intake_program_changed(_program(ids), d.name, d.organisation, d.cadence, now,
                                       d.lapse_after, d.escalate_after_days,
                                       d.auto_create)  # fmt: skip
        case m.CoordinatorAssignedV1(data=d):
            who = ids.of("coordinator", d.coordinator)
            app.intake_coordinator_assigned(
                _program(ids), who, opened(app, who, d.name, "name"),
                opened(app, who, d.contact, "contact"), d.time_zone, d.channel, now,
                digest=d.digest, digest_hour=d.digest_hour,
            )  # fmt: skip
        case m.GroupFormedV1(data=d):
            coordinator = ids.of("coordinator", d.coordinator) if d.coordinator else None
            app.intake_group_formed(_group(ids), d.name, d.cadence, d.goal, coordinator, now)
        case m.GroupChangedV1(data=d):
            coordinator = ids.of("coordinator", d.coordinator) if d.coordinator else None
            app.intake_group_changed(_group(ids), d.name, d.cadence, d.goal, coordinator, now)
        case m.MemberRoleChangedV1(data=d):
            app.intake_member_role_changed(_group(ids), ids.of("member", d.member), d.role, now)
        case m.MemberJoinedV1(data=d):
            member = ids.of("member", d.member)
            person = None
            if d.display_name is not None or d.contact is not None:
                person = Person(d.pseudonym,
                                opened(app, member, d.display_name, "display_name") or "",
                                opened(app, member, d.contact, "contact") or "")  # fmt: skip
            app.intake_member_joined(_group(ids), member, d.role, now, person)
        case m.MemberLeftV1(data=d):
            app.intake_member_left(_group(ids), ids.of("member", d.member), now)
        case m.SessionScheduledV1(data=d):
            app.intake_session_scheduled(
                _group(ids), ids.of("session", d.session), utc(d.scheduled_for), now
            )
        case m.SessionHeldV1(data=d):
            named = [*d.present, *d.absent, *d.excused]
            app.intake_session_held(_group(ids), ids.of("session", d.session),
                                    ids.members(d.present), ids.members(d.absent),
                                    ids.members(d.excused), d.attendance_taken, now,
                                    dict(zip(ids.members(named), named, strict=True)),
                                    d.session)  # fmt: skip
        case m.SessionCancelledV1(data=d):
            app.intake_session_cancelled(_group(ids), ids.of("session", d.session), d.reason, now)
        case m.AttendanceMarkedV1(data=d):
            app.intake_attendance_marked(_group(ids), ids.of("session", d.session),
                                         ids.of("member", d.member), d.status, now,
                                         d.member, d.session)  # fmt: skip
        case m.CommitmentMadeV1(data=d):
            session = ids.of("session", d.session) if d.session else None
            app.intake_commitment_made(_group(ids), ids.of("commitment", d.commitment),
                                       ids.of("member", d.member), session, utc(d.due),
                                       now)  # fmt: skip
        case m.CommitmentKeptV1(data=d):
            app.intake_commitment_kept(_group(ids), ids.of("commitment", d.commitment),
                                       ids.of("member", d.member), now)  # fmt: skip
        case m.CommitmentMissedV1(data=d):
            app.intake_commitment_missed(_group(ids), ids.of("commitment", d.commitment),
                                         ids.of("member", d.member), now)  # fmt: skip
        case m.GroupPausedV1(data=d):
            app.intake_group_paused(_group(ids), utc(d.until), d.reason, now)
        case m.GroupResumedV1():
            app.intake_group_resumed(_group(ids), now)
        case m.InterventionLoggedV1(data=d):
            target = None
            if d.merged_into is not None:
                target = NamedGroup(ids.of("group", d.merged_into), d.merged_into, _program(ids))
            app.intake_intervention(_group(ids), ids.of("coordinator", d.coordinator), d.kind,
                                    now, d.note, target)  # fmt: skip
        case m.UnmatchedMappedV1(data=d):
            app.intake_unmatched_mapped(_program(ids), d.item, d.coordinator, now,
                                        _uuid(d.to_group), _uuid(d.to_member))  # fmt: skip
        case m.UnmatchedRejectedV1(data=d):
            app.intake_unmatched_rejected(_program(ids), d.item, d.coordinator, d.reason,
                                          now)  # fmt: skip
        case _:
            raise TypeError(f"no intake use case for {command.type}")


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _program(ids: Ids) -> NamedProgram:
    return NamedProgram(ids.program, ids.data.program, ids.source)


def _group(ids: Ids) -> NamedGroup:
    return NamedGroup(ids.group, ids.data.group, _program(ids))


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
def utc(moment: datetime | None) -> datetime | None:
    """The same instant with the standard library's UTC tzinfo."""
    return None if moment is None else moment.astimezone(UTC)


@overload
def opened(app: EngagementApp, person: UUID, value: str, field: str) -> str: ...
@overload
def opened(app: EngagementApp, person: UUID, value: str | None, field: str) -> str | None: ...
def opened(app: EngagementApp, person: UUID, value: str | None, field: str) -> str | None:
    """``value``, or the clear text of a value the HTTP door sealed with ``person``'s key."""
    if not is_sealed_for_transit(value):
        return value
    clear = open_from_transit(app.vault, person, value)
    if clear is None:
        raise InvalidCommand(f"data.{field} is sealed but does not open with this person's "
                             "key (sealed for someone else, or they were forgotten)")  # fmt: skip
    return clear

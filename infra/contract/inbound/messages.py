"""The ingest contract on ``peerpulse.attendance.v1``: CloudEvents 1.0, structured JSON.

One envelope model per message ``type``; the type string carries the version. The
envelope's ``source`` names the sending system and scopes its ids; ``time`` is when the
thing happened (not when it was sent). Models are strict and closed (``extra="forbid"``);
the JSON Schemas in ``docs/contract/ingest/`` are generated from them.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from infra.contract.inbound import payloads as p
from infra.contract.text import identifier

PREFIX = "peerpulse.ingest."
SourceId = identifier(200, spaces=False)
MessageId = identifier(200)
Subject = identifier(200, min_length=0)
SchemaRef = identifier(500, min_length=0)


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes shared by every inbound message."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    specversion: Literal["1.0"]
    id: MessageId = Field(description="The sender's message id (unique per source).")
    source: SourceId = Field(description="The sending system, e.g. 'lms.example.edu'.")
    time: p.Moment = Field(description="When it happened, with a UTC offset.")
    subject: Subject | None = Field(
        None, description="Optional: the group's external id (also the Kafka key)."
    )
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: SchemaRef | None = None


class ProgramLaunchedV1(Envelope):
    """A program was launched (emitted by the program's admin system)."""

    type: Literal["peerpulse.ingest.program.launched.v1"]
    data: p.ProgramLaunched


class ProgramChangedV1(Envelope):
    """An operator changed a launched program's details (onboarding; decision 0021)."""

    type: Literal["peerpulse.ingest.program.changed.v1"]
    data: p.ProgramLaunched


class CoordinatorAssignedV1(Envelope):
    """A coordinator took on a program's groups."""

    type: Literal["peerpulse.ingest.coordinator.assigned.v1"]
    data: p.CoordinatorAssigned


class GroupFormedV1(Envelope):
    """A group was formed (roster systems, LMS)."""

    type: Literal["peerpulse.ingest.group.formed.v1"]
    data: p.GroupFormed


class GroupChangedV1(Envelope):
    """An operator changed a formed group's details (onboarding; decision 0021)."""

    type: Literal["peerpulse.ingest.group.changed.v1"]
    data: p.GroupFormed


class MemberJoinedV1(Envelope):
    """A member joined a group (roster systems, LMS)."""

    type: Literal["peerpulse.ingest.member.joined.v1"]
    data: p.MemberJoined


class MemberRoleChangedV1(Envelope):
    """An operator changed a current member's role (onboarding; decision 0021)."""

    type: Literal["peerpulse.ingest.member.role_changed.v1"]
    data: p.MemberRoleChanged


class MemberLeftV1(Envelope):
    """A member left a group."""

    type: Literal["peerpulse.ingest.member.left.v1"]
    data: p.MemberLeft


class SessionScheduledV1(Envelope):
    """A session was scheduled (calendars)."""

    type: Literal["peerpulse.ingest.session.scheduled.v1"]
    data: p.SessionScheduled


class SessionHeldV1(Envelope):
    """A session was held, with its roll call or without attendance."""

    type: Literal["peerpulse.ingest.session.held.v1"]
    data: p.SessionHeld


class SessionCancelledV1(Envelope):
    """A session was cancelled (calendars)."""

    type: Literal["peerpulse.ingest.session.cancelled.v1"]
    data: p.SessionCancelled


class AttendanceMarkedV1(Envelope):
    """One member's attendance at one session (check-in, video call)."""

    type: Literal["peerpulse.ingest.attendance.marked.v1"]
    data: p.AttendanceMarked


class CommitmentMadeV1(Envelope):
    """A member made a commitment."""

    type: Literal["peerpulse.ingest.commitment.made.v1"]
    data: p.CommitmentMade


class CommitmentKeptV1(Envelope):
    """A commitment was kept."""

    type: Literal["peerpulse.ingest.commitment.kept.v1"]
    data: p.CommitmentSettled


class CommitmentMissedV1(Envelope):
    """A commitment was missed."""

    type: Literal["peerpulse.ingest.commitment.missed.v1"]
    data: p.CommitmentSettled


class GroupPausedV1(Envelope):
    """A group paused ("not meeting until ...")."""

    type: Literal["peerpulse.ingest.group.paused.v1"]
    data: p.GroupPaused


class GroupResumedV1(Envelope):
    """A paused group is meeting again."""

    type: Literal["peerpulse.ingest.group.resumed.v1"]
    data: p.GroupResumed


class InterventionLoggedV1(Envelope):
    """A coordinator acted on a group (the dashboard, the API, the CLI, a CRM)."""

    type: Literal["peerpulse.ingest.intervention.logged.v1"]
    data: p.InterventionLogged


class UnmatchedMappedV1(Envelope):
    """A coordinator mapped unmatched attendance to a known group or member (0021)."""

    type: Literal["peerpulse.ingest.unmatched.mapped.v1"]
    data: p.UnmatchedMapped


class UnmatchedRejectedV1(Envelope):
    """A coordinator rejected unmatched attendance (0021)."""

    type: Literal["peerpulse.ingest.unmatched.rejected.v1"]
    data: p.UnmatchedRejected


MESSAGES: tuple[type[Envelope], ...] = (
    ProgramLaunchedV1,
    CoordinatorAssignedV1,
    GroupFormedV1,
    MemberJoinedV1,
    MemberLeftV1,
    SessionScheduledV1,
    SessionHeldV1,
    SessionCancelledV1,
    AttendanceMarkedV1,
    CommitmentMadeV1,
    CommitmentKeptV1,
    CommitmentMissedV1,
    GroupPausedV1,
    GroupResumedV1,
    InterventionLoggedV1,
    ProgramChangedV1,
    GroupChangedV1,
    MemberRoleChangedV1,
    UnmatchedMappedV1,
    UnmatchedRejectedV1,
)


def type_of(model: type[Envelope]) -> str:
    """The wire ``type`` string of a message model."""
    return model.model_fields["type"].annotation.__args__[0]


BY_TYPE: dict[str, type[Envelope]] = {type_of(m): m for m in MESSAGES}
KNOWN_NAMES: frozenset[str] = frozenset(t[len(PREFIX) :].rsplit(".", 1)[0] for t in BY_TYPE)

IngestMessage = Annotated[Union[tuple(MESSAGES)], Field(discriminator="type")]  # noqa: UP007
MESSAGE_ADAPTER: TypeAdapter = TypeAdapter(IngestMessage)

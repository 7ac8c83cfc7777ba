"""Wire data for the Group aggregate: commitments, lapses, pauses, mentoring, interventions,
endings."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from infra.contract.base import GroupData, Reason, Utc


class _Commitment(GroupData):
    """The fields a commitment is made, or amended, with."""

    commitment_id: UUID
    member_id: UUID
    session_id: UUID | None = None
    due: Utc | None = None


class CommitmentMade(_Commitment):
    """A member committed to something, optionally in a session and with a due date."""

    TYPE = "peerpulse.commitment.made.v1"
    DOMAIN = "Group.CommitmentMade"


class CommitmentAmended(_Commitment):
    """A commitment recorded without its session or due date (settled first) got them."""

    TYPE = "peerpulse.commitment.amended.v1"
    DOMAIN = "Group.CommitmentAmended"


class CommitmentKept(GroupData):
    """A member did what they committed to."""

    TYPE = "peerpulse.commitment.kept.v1"
    DOMAIN = "Group.CommitmentKept"

    commitment_id: UUID
    member_id: UUID


class CommitmentMissed(GroupData):
    """A member did not do what they committed to."""

    TYPE = "peerpulse.commitment.missed.v1"
    DOMAIN = "Group.CommitmentMissed"

    commitment_id: UUID
    member_id: UUID


class CommitmentDropped(GroupData):
    """A commitment was withdrawn (neither kept nor missed)."""

    TYPE = "peerpulse.commitment.dropped.v1"
    DOMAIN = "Group.CommitmentDropped"

    commitment_id: UUID
    member_id: UUID


class MemberLapsed(GroupData):
    """A member missed the policy's number of consecutive sessions without excuse."""

    TYPE = "peerpulse.member.lapsed.v1"
    DOMAIN = "Group.MemberLapsed"

    member_id: UUID
    misses: int = Field(ge=1, description="Consecutive unexcused absences.")
    last_seen: Utc | None = Field(description="When the member was last present, if ever.")


class MemberReengaged(GroupData):
    """A lapsed member was present again."""

    TYPE = "peerpulse.member.reengaged.v1"
    DOMAIN = "Group.MemberReengaged"

    member_id: UUID
    session_id: UUID


class GroupPaused(GroupData):
    """The group took a planned break (holidays, exams): never a risk."""

    TYPE = "peerpulse.group.paused.v1"
    DOMAIN = "Group.Paused"

    until: Utc
    reason: Reason


class GroupResumed(GroupData):
    """The group came back from a planned break."""

    TYPE = "peerpulse.group.resumed.v1"
    DOMAIN = "Group.Resumed"


class MentorCheckedIn(GroupData):
    """A mentor checked in on the group."""

    TYPE = "peerpulse.mentor.checked-in.v1"
    DOMAIN = "Group.MentorCheckedIn"

    mentor_id: UUID


class InterventionLogged(GroupData):
    """A coordinator acted on the group: a call, a message, a meeting, a merge into another
    group (``merged_into``; the group is then dissolved) or its end (then concluded).

    ``coordinator_id`` is who acted (never a name); ``note`` is the coordinator's own short
    note, published as written (decision 0019: no personal data in it)."""

    TYPE = "peerpulse.intervention.logged.v1"
    DOMAIN = "Group.InterventionLogged"

    coordinator_id: UUID
    kind: Literal["call", "message", "meeting", "merged", "ended"]
    note: Reason
    merged_into: UUID | None = None


class GroupConcluded(GroupData):
    """The group reached its planned end."""

    TYPE = "peerpulse.group.concluded.v1"
    DOMAIN = "Group.Concluded"

    reason: Reason


class GroupDissolved(GroupData):
    """The group ended early."""

    TYPE = "peerpulse.group.dissolved.v1"
    DOMAIN = "Group.Dissolved"

    reason: Reason


MODELS: tuple[type[GroupData], ...] = (
    CommitmentMade,
    CommitmentAmended,
    CommitmentKept,
    CommitmentMissed,
    CommitmentDropped,
    MemberLapsed,
    MemberReengaged,
    GroupPaused,
    GroupResumed,
    MentorCheckedIn,
    InterventionLogged,
    GroupConcluded,
    GroupDissolved,
)

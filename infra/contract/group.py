"""Wire data for the Group aggregate: formation, membership, sessions and attendance."""

from __future__ import annotations

from uuid import UUID

from infra.contract.base import (
    AttendanceStatus,
    Cadence,
    GroupData,
    Name,
    Reason,
    Role,
    Text,
    Utc,
)


class GroupFormed(GroupData):
    """A group (a mastermind circle) was formed in a program."""

    TYPE = "peerpulse.group.formed.v1"
    DOMAIN = "Group.Formed"

    name: Name
    cadence: Cadence
    goal: Text
    coordinator_id: UUID | None = None


class GroupDetailsAmended(GroupData):
    """The real details of a group that ingest had formed provisionally arrived."""

    TYPE = "peerpulse.group.details-amended.v1"
    DOMAIN = "Group.DetailsAmended"

    name: Name
    cadence: Cadence
    goal: Text
    coordinator_id: UUID | None = None


class MemberJoined(GroupData):
    """A member joined the group in a role."""

    TYPE = "peerpulse.member.joined.v1"
    DOMAIN = "Group.MemberJoined"

    member_id: UUID
    role: Role


class MemberRoleChanged(GroupData):
    """The roster gave a member that ingest had joined provisionally (as a peer) their role."""

    TYPE = "peerpulse.member.role-changed.v1"
    DOMAIN = "Group.MemberRoleChanged"

    member_id: UUID
    role: Role


class MemberLeft(GroupData):
    """A member left the group."""

    TYPE = "peerpulse.member.left.v1"
    DOMAIN = "Group.MemberLeft"

    member_id: UUID


class SessionScheduled(GroupData):
    """A session was put in the calendar."""

    TYPE = "peerpulse.session.scheduled.v1"
    DOMAIN = "Group.SessionScheduled"

    session_id: UUID
    scheduled_for: Utc


class SessionHeld(GroupData):
    """A session took place; who was present, absent or excused (if attendance was taken)."""

    TYPE = "peerpulse.session.held.v1"
    DOMAIN = "Group.SessionHeld"

    session_id: UUID
    present: list[UUID]
    absent: list[UUID]
    excused: list[UUID]
    attendance_taken: bool


class SessionCancelled(GroupData):
    """A scheduled session was called off."""

    TYPE = "peerpulse.session.cancelled.v1"
    DOMAIN = "Group.SessionCancelled"

    session_id: UUID
    reason: Reason


class AttendanceMarked(GroupData):
    """One member's attendance of a held session was marked (late or one by one)."""

    TYPE = "peerpulse.attendance.marked.v1"
    DOMAIN = "Group.AttendanceMarked"

    session_id: UUID
    member_id: UUID
    status: AttendanceStatus


class AttendanceCorrected(GroupData):
    """One member's attendance of a held session was corrected."""

    TYPE = "peerpulse.attendance.corrected.v1"
    DOMAIN = "Group.AttendanceCorrected"

    session_id: UUID
    member_id: UUID
    status: AttendanceStatus
    previous: AttendanceStatus


MODELS: tuple[type[GroupData], ...] = (
    GroupFormed,
    GroupDetailsAmended,
    MemberJoined,
    MemberRoleChanged,
    MemberLeft,
    SessionScheduled,
    SessionHeld,
    SessionCancelled,
    AttendanceMarked,
    AttendanceCorrected,
)

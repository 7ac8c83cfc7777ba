"""Group decisions about membership, pauses, mentor check-ins and the group's end."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import AlreadyAMember, GroupClosed, InvalidCommand, NotAMember
from domain.lapse import in_pause
from domain.rules import GroupGuards

ROLES = ("peer", "facilitator", "mentor")


class LifecycleRules(GroupGuards):
    """Commands on the group's membership and life; mixed into :class:`domain.group.Group`."""

    former: list[str]
    provisional_members: list[str]
    pauses: list[list[datetime]]
    last_pause: list[Any] | None
    last_check_in: list[Any] | None

    def join(self, member_id: UUID, role: str, now: datetime, provisional: bool = False) -> None:
        """Add a member with a role; joining again with the same role changes nothing.

        ``provisional``: ingest adds a member a mark named before the roster did; the
        roster's later role replaces it (``MemberRoleChanged``). Any other change of
        role is :class:`AlreadyAMember`.
        """
        if role not in ROLES:
            raise InvalidCommand(f"role {role!r} is not one of {', '.join(ROLES)}")
        current = self.members.get(str(member_id))
        if current == role or (current is not None and provisional):
            return
        self.require_open(f"add member {member_id}")
        if current is not None and str(member_id) in self.provisional_members:
            self.trigger_event(
                self.MemberRoleChanged, timestamp=now, member_id=member_id, role=role
            )
            return
        if current is not None:
            raise AlreadyAMember(
                f"member {member_id} is already a {current} of group {self.id}, not a {role}"
            )
        self.trigger_event(
            self.MemberJoined,
            timestamp=now,
            member_id=member_id,
            role=role,
            provisional=provisional,
        )

    def leave(self, member_id: UUID, now: datetime) -> None:
        """Remove a member; leaving twice changes nothing."""
        if str(member_id) in self.former and str(member_id) not in self.members:
            return
        self.require_open(f"remove member {member_id}")
        if str(member_id) not in self.members:
            raise NotAMember(self.id, member_id)
        self.trigger_event(self.MemberLeft, timestamp=now, member_id=member_id)

    def pause(self, until: datetime, reason: str, now: datetime) -> None:
        """Start (or change) a planned break; sessions held inside it never count."""
        if self.last_pause == [until, reason] and in_pause(now, self.pauses):
            return
        self.require_open("pause")
        if until <= now:
            raise InvalidCommand(f"group {self.id}: a pause must end after it starts ({until})")
        self.trigger_event(self.Paused, timestamp=now, until=until, reason=reason)

    def resume(self, now: datetime) -> None:
        """End the current pause early; resuming an unpaused group changes nothing."""
        if not in_pause(now, self.pauses):
            return
        self.require_open("resume")
        self.trigger_event(self.Resumed, timestamp=now)

    def mentor_check_in(self, mentor_id: UUID, now: datetime) -> None:
        """Record a mentor looking in; the same mentor at the same moment is one check-in."""
        if self.last_check_in == [mentor_id, now]:
            return
        self.require_open(f"record a check-in by mentor {mentor_id}")
        self.trigger_event(self.MentorCheckedIn, timestamp=now, mentor_id=mentor_id)

    def conclude(self, reason: str, now: datetime) -> None:
        """End the group as planned."""
        self._close("concluded", reason, now, self.Concluded)

    def dissolve(self, reason: str, now: datetime) -> None:
        """Disband the group early."""
        self._close("dissolved", reason, now, self.Dissolved)

    def _close(self, state: str, reason: str, now: datetime, event: Any) -> None:
        if self.closed == [state, reason]:
            return
        if self.closed:
            raise GroupClosed(self.id, self.closed[0], f"be {state} ({reason})")
        self.trigger_event(event, timestamp=now, reason=reason)

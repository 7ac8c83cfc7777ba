"""Group membership: who joins and leaves, and the events those commands emit."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import AlreadyAMember, InvalidCommand, NotAMember
from domain.group.guards import GroupGuards

if TYPE_CHECKING:
    from domain.group import Group

ROLES = ("peer", "facilitator", "mentor")


class Roster(GroupGuards):
    """Roster commands and events; mixed into :class:`domain.group.Group`."""

    former: list[str]
    provisional_members: list[str]

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

    def change_role(self, member_id: UUID, role: str, now: datetime) -> None:
        """An operator changed a current member's role (onboarding, 0021); same role: no-op."""
        if role not in ROLES:
            raise InvalidCommand(f"role {role!r} is not one of {', '.join(ROLES)}")
        current = self.members.get(str(member_id))
        if current is None:
            raise NotAMember(self.id, member_id)
        if current != role or str(member_id) in self.provisional_members:
            self.require_open(f"change the role of member {member_id}")
            self.trigger_event(self.MemberRoleChanged, timestamp=now, member_id=member_id,
                               role=role)  # fmt: skip

    def leave(self, member_id: UUID, now: datetime) -> None:
        """Remove a member; leaving twice changes nothing."""
        if str(member_id) in self.former and str(member_id) not in self.members:
            return
        self.require_open(f"remove member {member_id}")
        if str(member_id) not in self.members:
            raise NotAMember(self.id, member_id)
        self.trigger_event(self.MemberLeft, timestamp=now, member_id=member_id)

    def ever_joined(self, member_id: UUID) -> bool:
        """Whether the member is on the roster or was before they left."""
        return str(member_id) in self.members or str(member_id) in self.former

    class MemberJoined(Aggregate.Event):
        """A peer, facilitator or mentor joined the group (from the roster system).

        Version 2 added ``provisional``: ingest joined them as a peer because a mark
        named them before the roster did; kept off the wire.
        """

        class_version = 2

        member_id: UUID
        role: str
        provisional: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 members always joined from the roster."""
            state["provisional"] = False

        def apply(self, group: Group) -> None:
            key = str(self.member_id)
            group.members[key] = self.role
            if key in group.former:
                group.former.remove(key)
                group.left_at.pop(key, None)
            group.provisional_members = [m for m in group.provisional_members if m != key]
            if self.provisional:
                group.provisional_members.append(key)

    class MemberRoleChanged(Aggregate.Event):
        """The roster gave a provisionally joined member their real role (ingest, 0015), or
        an operator changed a member's role (onboarding, 0021)."""

        member_id: UUID
        role: str

        def apply(self, group: Group) -> None:
            key = str(self.member_id)
            group.members[key] = self.role
            group.provisional_members = [m for m in group.provisional_members if m != key]

    class MemberLeft(Aggregate.Event):
        """A member left the group; their lapse standing no longer matters."""

        member_id: UUID

        def apply(self, group: Group) -> None:
            key = str(self.member_id)
            group.members.pop(key, None)
            group.former.append(key)
            group.left_at[key] = self.timestamp
            group.provisional_members = [m for m in group.provisional_members if m != key]
            if key in group.lapsed:
                group.lapsed.remove(key)

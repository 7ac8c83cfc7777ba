"""Shared guards every Group command mixin starts with."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import GroupClosed, NotAMember


class GroupGuards:
    """Checks every Group command starts with; mixed into :class:`domain.group.Group`."""

    id: UUID
    members: dict[str, str]
    closed: list[str] | None
    trigger_event: Any

    def require_open(self, what: str) -> None:
        """Refuse changes once the group concluded or dissolved."""
        if self.closed:
            raise GroupClosed(self.id, self.closed[0], what)

    def require_member(self, member_id: UUID, session_id: UUID | None = None) -> None:
        """Refuse attendance or commitments for someone outside the group."""
        if str(member_id) not in self.members:
            raise NotAMember(self.id, member_id, session_id)

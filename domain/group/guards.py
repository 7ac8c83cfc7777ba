"""Shared guards every Group command mixin starts with."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import GroupClosed, NotAMember


class GroupGuards:
    """Checks every Group command starts with; mixed into :class:`domain.group.Group`."""

    id: UUID
    members: dict[str, str]
    left_at: dict[str, datetime]
    """When each former member left (``MemberLeft``'s time; see :meth:`require_member`)."""
    closed: list[str] | None
    trigger_event: Any

    def require_open(self, what: str) -> None:
        """Refuse changes once the group concluded or dissolved."""
        if self.closed:
            raise GroupClosed(self.id, self.closed[0], what)

    def require_member(
        self, member_id: UUID, session_id: UUID | None = None, at: datetime | None = None
    ) -> None:
        """Refuse attendance or commitments for someone outside the group.

        ``at``: the time of the session being marked. A member who left *after* it was on
        the roster then, so a roll call that arrives late (decision 0015) may still mark
        them; one who left at or before it, or whose leaving time is unknown (a snapshot
        from before it was kept), may not.
        """
        key = str(member_id)
        if key in self.members:
            return
        left = self.left_at.get(key)
        if at is None or left is None or at >= left:
            raise NotAMember(self.id, member_id, session_id)

"""Group attendance: late marks, corrections and the lapse policy they re-apply, with events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidCommand, UnknownSession
from domain.group.guards import GroupGuards
from domain.lapse import STATUSES, standing

if TYPE_CHECKING:
    from domain.group import Group


class Attendance(GroupGuards):
    """Attendance and lapse commands and events; mixed into :class:`domain.group.Group`."""

    sessions: dict[str, dict[str, Any]]
    pauses: list[list[datetime]]
    lapsed: list[str]
    held_order: list[list[Any]]
    hold_session: Callable[..., None]

    def mark_attendance(
        self, session_id: UUID, member_id: UUID, status: str, now: datetime, lapse_after: int
    ) -> None:
        """One late mark; holds the session if needed; a different mark is a correction."""
        _check_status(status)
        session = self.sessions.get(str(session_id))
        if session is None or session["status"] != "held":
            lists: dict[str, list[UUID]] = {s: [] for s in STATUSES}
            lists[status].append(member_id)
            self.hold_session(
                session_id,
                now,
                lists["present"],
                lists["absent"],
                lists["excused"],
                True,
                lapse_after,
            )
            return
        self._change_mark(session_id, member_id, status, now, lapse_after)

    def correct_attendance(
        self, session_id: UUID, member_id: UUID, status: str, now: datetime, lapse_after: int
    ) -> None:
        """Change a member's mark on a held session and re-apply the lapse policy."""
        _check_status(status)
        session = self.sessions.get(str(session_id))
        if session is None or session["status"] != "held":
            raise UnknownSession(self.id, session_id, member_id)
        self._change_mark(session_id, member_id, status, now, lapse_after)

    def apply_lapse_policy(self, session_id: UUID, now: datetime, lapse_after: int) -> None:
        """Record every change of lapse standing the history now implies."""
        for member in sorted(self.members):
            newest_first = (self.sessions[key] for _, _, key in reversed(self.held_order))
            now_lapsed = standing(member, newest_first, self.pauses, lapse_after)
            if now_lapsed.lapsed and member not in self.lapsed:
                self.trigger_event(
                    self.MemberLapsed,
                    timestamp=now,
                    member_id=UUID(member),
                    misses=now_lapsed.misses,
                    last_seen=now_lapsed.last_seen,
                )
            elif member in self.lapsed and not now_lapsed.lapsed:
                self.trigger_event(
                    self.MemberReengaged,
                    timestamp=now,
                    member_id=UUID(member),
                    session_id=session_id,
                )

    def _change_mark(
        self, session_id: UUID, member_id: UUID, status: str, now: datetime, lapse_after: int
    ) -> None:
        session = self.sessions[str(session_id)]
        previous = session["attendance"].get(str(member_id))
        if previous == status:
            return
        self.require_open(f"mark member {member_id} in session {session_id}")
        self.require_member(member_id, session_id, at=session["held_at"])
        if previous is None:
            self.trigger_event(
                self.AttendanceMarked,
                timestamp=now,
                session_id=session_id,
                member_id=member_id,
                status=status,
            )
        else:
            self.trigger_event(
                self.AttendanceCorrected,
                timestamp=now,
                session_id=session_id,
                member_id=member_id,
                status=status,
                previous=previous,
            )
        self.apply_lapse_policy(session_id, now, lapse_after)

    class AttendanceMarked(Aggregate.Event):
        """One member was marked late or one-by-one on a held session (check-in app)."""

        session_id: UUID
        member_id: UUID
        status: str

        def apply(self, group: Group) -> None:
            attendance = group.sessions[str(self.session_id)]["attendance"]
            group.update_session(
                self.session_id,
                attendance_taken=True,
                attendance={**attendance, str(self.member_id): self.status},
            )

    class AttendanceCorrected(Aggregate.Event):
        """A recorded mark was changed (e.g. an absence turned out to be excused)."""

        session_id: UUID
        member_id: UUID
        status: str
        previous: str

        def apply(self, group: Group) -> None:
            attendance = group.sessions[str(self.session_id)]["attendance"]
            group.update_session(
                self.session_id, attendance={**attendance, str(self.member_id): self.status}
            )

    class MemberLapsed(Aggregate.Event):
        """The lapse policy found a member with ``misses`` consecutive unexcused absences."""

        member_id: UUID
        misses: int
        last_seen: datetime | None

        def apply(self, group: Group) -> None:
            group.lapsed.append(str(self.member_id))

    class MemberReengaged(Aggregate.Event):
        """A lapsed member is back (present again, or the absences were corrected away)."""

        member_id: UUID
        session_id: UUID

        def apply(self, group: Group) -> None:
            group.lapsed.remove(str(self.member_id))


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidCommand(f"attendance status {status!r} is not one of {', '.join(STATUSES)}")

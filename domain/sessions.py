"""Group decisions about sessions and attendance, including when to apply the lapse policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidCommand, SessionAlreadyHeld, SessionCancelled, UnknownSession
from domain.lapse import STATUSES, standing
from domain.rules import GroupGuards


class SessionRules(GroupGuards):
    """Commands on sessions; mixed into :class:`domain.group.Group`."""

    sessions: dict[str, dict[str, Any]]
    pauses: list[list[datetime]]
    lapsed: list[str]
    held_order: list[list[Any]]

    def update_session(self, session_id: UUID, **changes: Any) -> None:
        """Replace one session's record (records are never changed in place; see Group)."""
        current = self.sessions.get(str(session_id)) or {
            "status": "scheduled",
            "scheduled_for": None,
            "held_at": None,
            "attendance": {},
            "held_marks": {},
            "held_taken": None,
            "attendance_taken": False,
            "seq": None,
            "reason": None,
        }
        self.sessions[str(session_id)] = {**current, **changes}

    def schedule_session(self, session_id: UUID, scheduled_for: datetime, now: datetime) -> None:
        """Put a session in the calendar; rescheduling a scheduled session is allowed."""
        session = self.sessions.get(str(session_id))
        if session and session["scheduled_for"] == scheduled_for:
            return
        self.require_open(f"schedule session {session_id}")
        self._require_not_over(session_id, session)
        self.trigger_event(
            self.SessionScheduled, timestamp=now, session_id=session_id, scheduled_for=scheduled_for
        )

    def hold_session(
        self,
        session_id: UUID,
        now: datetime,
        present: list[UUID],
        absent: list[UUID],
        excused: list[UUID],
        attendance_taken: bool,
        lapse_after: int,
    ) -> None:
        """Record that a session took place and apply the lapse policy."""
        marks = _marks(present, absent, excused)
        session = self.sessions.get(str(session_id))
        if session and session["status"] == "held":
            if session["held_marks"] == marks and session["held_taken"] == attendance_taken:
                return
            raise SessionAlreadyHeld(
                f"session {session_id} of group {self.id} was already held with other attendance"
            )
        self.require_open(f"hold session {session_id}")
        self._require_not_over(session_id, session)
        if marks and not attendance_taken:
            raise InvalidCommand(
                f"session {session_id} of group {self.id}: attendance marks "
                "given although attendance was not taken"
            )
        for member in {str(m): m for m in (*present, *absent, *excused)}.values():
            self.require_member(member, session_id)
        self.trigger_event(
            self.SessionHeld,
            timestamp=now,
            session_id=session_id,
            present=sorted(set(present)),
            absent=sorted(set(absent)),
            excused=sorted(set(excused)),
            attendance_taken=attendance_taken,
        )
        self.apply_lapse_policy(session_id, now, lapse_after)

    def cancel_session(self, session_id: UUID, reason: str, now: datetime) -> None:
        """Call off a session that has not been held."""
        session = self.sessions.get(str(session_id))
        if session and session["status"] == "cancelled" and session["reason"] == reason:
            return
        self.require_open(f"cancel session {session_id}")
        self._require_not_over(session_id, session)
        self.trigger_event(
            self.SessionCancelled, timestamp=now, session_id=session_id, reason=reason
        )

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
        previous = self.sessions[str(session_id)]["attendance"].get(str(member_id))
        if previous == status:
            return
        self.require_open(f"mark member {member_id} in session {session_id}")
        self.require_member(member_id, session_id)
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

    def _require_not_over(self, session_id: UUID, session: dict[str, Any] | None) -> None:
        if session is None or session["status"] == "scheduled":
            return
        if session["status"] == "cancelled":
            raise SessionCancelled(f"session {session_id} of group {self.id} was cancelled")
        raise SessionAlreadyHeld(f"session {session_id} of group {self.id} was already held")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidCommand(f"attendance status {status!r} is not one of {', '.join(STATUSES)}")


def _marks(present: list[UUID], absent: list[UUID], excused: list[UUID]) -> dict[str, str]:
    marks: dict[str, str] = {}
    for status, ids in zip(STATUSES, (present, absent, excused), strict=True):
        for member in ids:
            if marks.setdefault(str(member), status) != status:
                raise InvalidCommand(
                    f"member {member} is marked both {marks[str(member)]} and {status}"
                )
    return marks

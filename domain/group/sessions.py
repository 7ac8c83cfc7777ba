"""Group sessions: scheduled, held with a roll call, or cancelled, with their events."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidCommand, SessionAlreadyHeld, SessionCancelled
from domain.group.guards import GroupGuards
from domain.lapse import STATUSES

if TYPE_CHECKING:
    from domain.group import Group


class Sessions(GroupGuards):
    """Session commands and events; mixed into :class:`domain.group.Group`."""

    sessions: dict[str, dict[str, Any]]
    apply_lapse_policy: Callable[[UUID, datetime, int], None]

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

    def session_status(self, session_id: UUID) -> str | None:
        """``scheduled``, ``held`` or ``cancelled``; ``None`` for a session never named."""
        session = self.sessions.get(str(session_id))
        return None if session is None else session["status"]

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
            self.require_member(member, session_id, at=now)
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

    def _require_not_over(self, session_id: UUID, session: dict[str, Any] | None) -> None:
        if session is None or session["status"] == "scheduled":
            return
        if session["status"] == "cancelled":
            raise SessionCancelled(f"session {session_id} of group {self.id} was cancelled")
        raise SessionAlreadyHeld(f"session {session_id} of group {self.id} was already held")

    class SessionScheduled(Aggregate.Event):
        """A session was put in the calendar (calendar integration)."""

        session_id: UUID
        scheduled_for: datetime

        def apply(self, group: Group) -> None:
            group.update_session(self.session_id, scheduled_for=self.scheduled_for)

    class SessionHeld(Aggregate.Event):
        """The session took place, with who was present, absent and excused (attendance feed).

        Version 2 added ``attendance_taken``: ``False`` when the session happened but
        nobody recorded attendance, so absences cannot be inferred.
        """

        class_version = 2

        session_id: UUID
        present: list[UUID]
        absent: list[UUID]
        excused: list[UUID]
        attendance_taken: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 events were always recorded from a taken register."""
            state["attendance_taken"] = True

        def apply(self, group: Group) -> None:
            marks = {str(m): s for s, ids in self.marks() for m in ids}
            group.update_session(
                self.session_id,
                status="held",
                held_at=self.timestamp,
                attendance=marks,
                held_marks=dict(marks),
                held_taken=self.attendance_taken,
                attendance_taken=self.attendance_taken,
                seq=group.next_seq,
            )
            bisect.insort(group.held_order, [self.timestamp, group.next_seq, str(self.session_id)])
            group.next_seq += 1

        def marks(self) -> list[tuple[str, list[UUID]]]:
            """The attendance lists by status."""
            return [("present", self.present), ("absent", self.absent), ("excused", self.excused)]

    class SessionCancelled(Aggregate.Event):
        """A scheduled session was called off (calendar integration)."""

        session_id: UUID
        reason: str

        def apply(self, group: Group) -> None:
            group.update_session(self.session_id, status="cancelled", reason=self.reason)


def _marks(present: list[UUID], absent: list[UUID], excused: list[UUID]) -> dict[str, str]:
    marks: dict[str, str] = {}
    for status, ids in zip(STATUSES, (present, absent, excused), strict=True):
        for member in ids:
            if marks.setdefault(str(member), status) != status:
                raise InvalidCommand(
                    f"member {member} is marked both {marks[str(member)]} and {status}"
                )
    return marks

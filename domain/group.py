"""The Group aggregate: a mastermind circle, its members, sessions and commitments.

Events here are the facts; the decisions that emit them live in the rule mixins
(:mod:`domain.sessions`, :mod:`domain.commitments`) and the pure lapse policy
(:mod:`domain.lapse`). Group state is kept JSON-friendly (string keys, lists) so
snapshots round-trip exactly.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.commitments import CommitmentRules
from domain.errors import AlreadyExists, InvalidCommand
from domain.lifecycle import LifecycleRules
from domain.records import ReplacedRecords
from domain.sessions import SessionRules

CADENCES = {"weekly": 7, "fortnightly": 14, "monthly": 30}


class Group(SessionRules, CommitmentRules, LifecycleRules, ReplacedRecords, Aggregate):
    """A group of 3–6 peers meeting on a cadence; it can quietly die, which is what we watch.

    State records (sessions, commitments, pauses) are replaced, never changed in
    place (see :class:`~domain.records.ReplacedRecords`), so loading a group from the
    aggregate cache costs O(containers) instead of O(history).
    """

    class_version = 2
    """Version 2 added ``provisional`` and ``provisional_members`` (snapshots upcast)."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Groups snapshotted before provisioning was recorded were all formed for real."""
        state.setdefault("provisional", False)
        state.setdefault("provisional_members", [])

    @classmethod
    def form(cls, group_id: UUID, program_id: UUID, name: str, cadence: str, goal: str,
             now: datetime, coordinator_id: UUID | None = None,
             provisional: bool = False) -> Group:  # fmt: skip
        """Form a new group in a program (``provisional``: placeholder details, see 0015)."""
        _check_cadence(cadence)
        return cls._create(
            cls.Formed,
            id=group_id,
            timestamp=now,
            program_id=program_id,
            name=name,
            cadence=cadence,
            goal=goal,
            coordinator_id=coordinator_id,
            provisional=provisional,
        )

    def form_again(
        self,
        program_id: UUID,
        name: str,
        cadence: str,
        goal: str,
        coordinator_id: UUID | None,
        now: datetime,
        provisional: bool = False,
    ) -> None:
        """A repeated ``form``: identical changes nothing; real details replace provisional ones.

        Provisioning never touches an existing group. Details that contradict a group
        formed for real (or a different program) are :class:`AlreadyExists`.
        """
        details = (name, cadence, goal, coordinator_id)
        if provisional or (
            not self.provisional and self.details() == details and self.program_id == program_id
        ):
            return
        if not self.provisional or self.program_id != program_id:
            raise AlreadyExists(f"group {self.id} was already formed with other details")
        _check_cadence(cadence)
        self.require_open("amend its details")
        self.trigger_event(
            self.DetailsAmended,
            timestamp=now,
            name=name,
            cadence=cadence,
            goal=goal,
            coordinator_id=coordinator_id,
        )

    def details(self) -> tuple[str, str, str, UUID | None]:
        """Name, cadence, goal and coordinator, as formed or amended."""
        return self.name, self.cadence, self.goal, self.coordinator_id

    class Formed(Aggregate.Created):
        """A coordinator (or an upstream system) formed the group in a program.

        Version 2 added ``provisional``: ingest formed it with placeholder details because
        marks arrived before the roster (docs/decisions/0015); kept off the wire.
        """

        class_version = 2

        program_id: UUID
        name: str
        cadence: str
        goal: str
        coordinator_id: UUID | None
        provisional: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 groups were always formed for real."""
            state["provisional"] = False

        def apply(self, group: Group) -> None:
            group.program_id, group.name, group.cadence = self.program_id, self.name, self.cadence
            group.goal, group.coordinator_id = self.goal, self.coordinator_id
            group.provisional, group.provisional_members = self.provisional, []
            group.members, group.former, group.lapsed = {}, [], []
            group.sessions, group.commitments, group.pauses = {}, {}, []
            group.last_pause, group.last_check_in, group.closed = None, None, None
            group.next_seq, group.held_order = 0, []

    class DetailsAmended(Aggregate.Event):
        """The real details of a provisionally formed group arrived (ingest, 0015)."""

        name: str
        cadence: str
        goal: str
        coordinator_id: UUID | None

        def apply(self, group: Group) -> None:
            group.name, group.cadence, group.goal = self.name, self.cadence, self.goal
            group.coordinator_id, group.provisional = self.coordinator_id, False

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
            group.provisional_members = [m for m in group.provisional_members if m != key]
            if self.provisional:
                group.provisional_members.append(key)

    class MemberRoleChanged(Aggregate.Event):
        """The roster gave a provisionally joined member their real role (ingest, 0015)."""

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
            group.provisional_members = [m for m in group.provisional_members if m != key]
            if key in group.lapsed:
                group.lapsed.remove(key)

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

    class CommitmentMade(Aggregate.Event):
        """A member committed to something, optionally in a session and with a due date."""

        commitment_id: UUID
        member_id: UUID
        session_id: UUID | None
        due: datetime | None

        def apply(self, group: Group) -> None:
            group.commitments[str(self.commitment_id)] = {
                "member_id": self.member_id,
                "session_id": self.session_id,
                "due": self.due,
                "status": "made",
            }

    class CommitmentAmended(Aggregate.Event):
        """Details a recorded commitment lacked arrived (ingest: settled before made, 0015)."""

        commitment_id: UUID
        member_id: UUID
        session_id: UUID | None
        due: datetime | None

        def apply(self, group: Group) -> None:
            group.amend_commitment_record(self.commitment_id, self.session_id, self.due)

    class CommitmentKept(Aggregate.Event):
        """The member did what they committed to."""

        commitment_id: UUID
        member_id: UUID

        def apply(self, group: Group) -> None:
            group.resolve_commitment(self.commitment_id, "kept")

    class CommitmentMissed(Aggregate.Event):
        """The commitment fell due and was not kept."""

        commitment_id: UUID
        member_id: UUID

        def apply(self, group: Group) -> None:
            group.resolve_commitment(self.commitment_id, "missed")

    class CommitmentDropped(Aggregate.Event):
        """The member withdrew the commitment."""

        commitment_id: UUID
        member_id: UUID

        def apply(self, group: Group) -> None:
            group.resolve_commitment(self.commitment_id, "dropped")

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

    class Paused(Aggregate.Event):
        """The group takes a planned break (holidays, exams) until ``until``: never a risk."""

        until: datetime
        reason: str

        def apply(self, group: Group) -> None:
            group.pauses.append([self.timestamp, self.until])
            group.last_pause = [self.until, self.reason]

    class Resumed(Aggregate.Event):
        """The group came back from its pause before the planned end."""

        def apply(self, group: Group) -> None:
            at = self.timestamp
            group.pauses = [
                [start, at if start <= at < end else end] for start, end in group.pauses
            ]
            group.last_pause = None

    class MentorCheckedIn(Aggregate.Event):
        """A mentor looked in on the group."""

        mentor_id: UUID

        def apply(self, group: Group) -> None:
            group.last_check_in = [self.mentor_id, self.timestamp]

    class Concluded(Aggregate.Event):
        """The group finished its programme as planned."""

        reason: str

        def apply(self, group: Group) -> None:
            group.closed = ["concluded", self.reason]

    class Dissolved(Aggregate.Event):
        """The group was disbanded before its planned end."""

        reason: str

        def apply(self, group: Group) -> None:
            group.closed = ["dissolved", self.reason]


def _check_cadence(cadence: str) -> None:
    if cadence not in CADENCES:
        raise InvalidCommand(f"cadence {cadence!r} is not one of {', '.join(CADENCES)}")

"""The Group aggregate: a mastermind circle, its members, sessions and commitments.

Each concept's commands sit beside the events they emit, in one mixin module per
concept: :mod:`~domain.group.roster`, :mod:`~domain.group.sessions`,
:mod:`~domain.group.attendance` (with the pure lapse policy, :mod:`domain.lapse`),
:mod:`~domain.group.commitments`, :mod:`~domain.group.lifecycle` and
:mod:`~domain.group.interventions` (what a coordinator did). eventsourcing
redefines every mixin's events on :class:`Group`, so they are ``Group.SessionHeld``
and so on, stored under the topics ``domain.group:Group.<Event>``: stored event names
are schema, which is why the aggregate itself lives here at the package root. Group
state is kept JSON-friendly (string keys, lists) so snapshots round-trip exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import AlreadyExists, InvalidCommand
from domain.group.attendance import Attendance
from domain.group.commitments import Commitments
from domain.group.interventions import KINDS as INTERVENTION_KINDS
from domain.group.interventions import Interventions
from domain.group.lifecycle import Lifecycle
from domain.group.roster import ROLES, Roster
from domain.group.sessions import Sessions
from domain.records import ReplacedRecords

CADENCES = {"weekly": 7, "fortnightly": 14, "monthly": 30}
__all__ = ["CADENCES", "INTERVENTION_KINDS", "ROLES", "Group"]


class Group(Roster, Sessions, Attendance, Commitments, Lifecycle, Interventions, ReplacedRecords,
            Aggregate):  # fmt: skip
    """A group of 3–6 peers meeting on a cadence; it can quietly die, which is what we watch.

    State records (sessions, commitments, pauses) are replaced, never changed in
    place (see :class:`~domain.records.ReplacedRecords`), so loading a group from the
    aggregate cache costs O(containers) instead of O(history).
    """

    class_version = 4
    """Version 2 added ``provisional`` and ``provisional_members``, version 3 ``left_at``,
    version 4 ``interventions`` (snapshots upcast)."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Groups snapshotted before provisioning was recorded were all formed for real."""
        state.setdefault("provisional", False)
        state.setdefault("provisional_members", [])

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Groups snapshotted before leave times were kept: no time known for anyone who
        left, so a late mark for them stays refused, as it was."""
        state.setdefault("left_at", {})

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """Groups snapshotted before interventions were recorded had none."""
        state.setdefault("interventions", [])

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

    def change_details(self, name: str, cadence: str, goal: str, coordinator_id: UUID | None,
                       now: datetime) -> None:  # fmt: skip
        """An operator changed the group's details (onboarding, 0021); the same ones: no-op."""
        if self.details() == (name, cadence, goal, coordinator_id) and not self.provisional:
            return
        _check_cadence(cadence)
        self.require_open("change its details")
        self.trigger_event(self.DetailsAmended, timestamp=now, name=name, cadence=cadence,
                           goal=goal, coordinator_id=coordinator_id)  # fmt: skip

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
            group.members, group.former, group.lapsed, group.left_at = {}, [], [], {}
            group.sessions, group.commitments, group.pauses = {}, {}, []
            group.last_pause, group.last_check_in, group.closed = None, None, None
            group.next_seq, group.held_order, group.interventions = 0, [], []

    class DetailsAmended(Aggregate.Event):
        """The real details of a provisionally formed group arrived (ingest, 0015), or an
        operator changed them (onboarding, 0021)."""

        name: str
        cadence: str
        goal: str
        coordinator_id: UUID | None

        def apply(self, group: Group) -> None:
            group.name, group.cadence, group.goal = self.name, self.cadence, self.goal
            group.coordinator_id, group.provisional = self.coordinator_id, False


def _check_cadence(cadence: str) -> None:
    if cadence not in CADENCES:
        raise InvalidCommand(f"cadence {cadence!r} is not one of {', '.join(CADENCES)}")

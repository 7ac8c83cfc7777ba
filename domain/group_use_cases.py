"""EngagementApp use cases on programs and groups (mixed into the application)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import UnknownGroup, UnknownProgram
from domain.group import Group
from domain.moments import aware as _aware
from domain.program import Program
from domain.unit_of_work import UnitOfWork


class GroupUseCases:
    """Program and group commands; each runs in the current unit of work."""

    unit: Any

    def launch_program(self, program_id: UUID, name: str, organisation: str, cadence: str,
                       now: datetime, lapse_after: int = 3, escalate_after_days: int = 3,
                       provisional: bool = False) -> None:  # fmt: skip
        """Launch a program; identically again changes nothing; real details amend provisional."""
        with self.unit() as uow:
            existing = uow.find(program_id, Program)
            if existing is not None:
                existing.launch_again(
                    name,
                    organisation,
                    cadence,
                    lapse_after,
                    escalate_after_days,
                    _aware(now),
                    provisional,
                )
                return
            uow.add(
                Program.launch(
                    program_id,
                    name,
                    organisation,
                    cadence,
                    _aware(now),
                    lapse_after,
                    escalate_after_days,
                    provisional,
                )
            )

    def unassign_coordinator(self, program_id: UUID, coordinator_id: UUID, now: datetime) -> None:
        """Take a coordinator off the program."""
        with self.unit() as uow:
            _program(uow, program_id).unassign_coordinator(coordinator_id, _aware(now))

    def set_lead_coordinator(self, program_id: UUID, coordinator_id: UUID, now: datetime) -> None:
        """Name the program's lead coordinator."""
        with self.unit() as uow:
            _program(uow, program_id).set_lead_coordinator(coordinator_id, _aware(now))

    def change_lapse_policy(self, program_id: UUID, lapse_after: int, now: datetime) -> None:
        """Change after how many consecutive unexcused absences members lapse."""
        with self.unit() as uow:
            _program(uow, program_id).change_lapse_policy(lapse_after, _aware(now))

    def form_group(self, group_id: UUID, program_id: UUID, name: str, cadence: str, goal: str,
                   now: datetime, coordinator_id: UUID | None = None,
                   provisional: bool = False) -> None:  # fmt: skip
        """Form a group in a launched program; again identically changes nothing.

        Real details amend a provisionally formed group (``Group.DetailsAmended``).
        """
        with self.unit() as uow:
            existing = uow.find(group_id, Group)
            if existing is not None:
                existing.form_again(
                    program_id, name, cadence, goal, coordinator_id, _aware(now), provisional
                )
                return
            _program(uow, program_id)
            uow.add(
                Group.form(
                    group_id,
                    program_id,
                    name,
                    cadence,
                    goal,
                    _aware(now),
                    coordinator_id,
                    provisional,
                )
            )

    def join_member(
        self, group_id: UUID, member_id: UUID, role: str, now: datetime, provisional: bool = False
    ) -> None:
        """Add a member to a group with a role (peer, facilitator, mentor).

        A provisionally joined member's role is replaced by the roster's.
        """
        self._on_group(group_id, "join", member_id, role, _aware(now), provisional)

    def leave_member(self, group_id: UUID, member_id: UUID, now: datetime) -> None:
        """Remove a member from a group."""
        self._on_group(group_id, "leave", member_id, _aware(now))

    def schedule_session(
        self, group_id: UUID, session_id: UUID, scheduled_for: datetime, now: datetime
    ) -> None:
        """Put a session in the group's calendar."""
        self._on_group(group_id, "schedule_session", session_id, _aware(scheduled_for), _aware(now))

    def hold_session(
        self,
        group_id: UUID,
        session_id: UUID,
        now: datetime,
        present: Iterable[UUID] = (),
        absent: Iterable[UUID] = (),
        excused: Iterable[UUID] = (),
        attendance_taken: bool = True,
    ) -> None:
        """Record that a session took place with its attendance; applies the lapse policy."""
        with self.unit() as uow:
            group = _group(uow, group_id)
            group.hold_session(
                session_id,
                _aware(now),
                list(present),
                list(absent),
                list(excused),
                attendance_taken,
                _lapse_after(uow, group),
            )

    def cancel_session(self, group_id: UUID, session_id: UUID, reason: str, now: datetime) -> None:
        """Call off a session."""
        self._on_group(group_id, "cancel_session", session_id, reason, _aware(now))

    def mark_attendance(
        self, group_id: UUID, session_id: UUID, member_id: UUID, status: str, now: datetime
    ) -> None:
        """One member's mark; holds the session if it was not held yet."""
        with self.unit() as uow:
            group = _group(uow, group_id)
            group.mark_attendance(
                session_id, member_id, status, _aware(now), _lapse_after(uow, group)
            )

    def correct_attendance(
        self, group_id: UUID, session_id: UUID, member_id: UUID, status: str, now: datetime
    ) -> None:
        """Change a mark on a held session; re-applies the lapse policy."""
        with self.unit() as uow:
            group = _group(uow, group_id)
            group.correct_attendance(
                session_id, member_id, status, _aware(now), _lapse_after(uow, group)
            )

    def make_commitment(
        self,
        group_id: UUID,
        commitment_id: UUID,
        member_id: UUID,
        now: datetime,
        session_id: UUID | None = None,
        due: datetime | None = None,
    ) -> None:
        """Record a member's commitment."""
        self._on_group(
            group_id,
            "make_commitment",
            commitment_id,
            member_id,
            _aware(now),
            session_id,
            due if due is None else _aware(due),
        )

    def keep_commitment(self, group_id: UUID, commitment_id: UUID, now: datetime) -> None:
        """Record a commitment kept."""
        self._on_group(group_id, "keep_commitment", commitment_id, _aware(now))

    def miss_commitment(self, group_id: UUID, commitment_id: UUID, now: datetime) -> None:
        """Record a commitment missed."""
        self._on_group(group_id, "miss_commitment", commitment_id, _aware(now))

    def drop_commitment(self, group_id: UUID, commitment_id: UUID, now: datetime) -> None:
        """Record a commitment dropped."""
        self._on_group(group_id, "drop_commitment", commitment_id, _aware(now))

    def pause_group(self, group_id: UUID, until: datetime, reason: str, now: datetime) -> None:
        """Start a planned break; sessions held inside it never count towards a lapse."""
        self._on_group(group_id, "pause", _aware(until), reason, _aware(now))

    def resume_group(self, group_id: UUID, now: datetime) -> None:
        """End the current pause early."""
        self._on_group(group_id, "resume", _aware(now))

    def mentor_check_in(self, group_id: UUID, mentor_id: UUID, now: datetime) -> None:
        """Record a mentor looking in on the group."""
        self._on_group(group_id, "mentor_check_in", mentor_id, _aware(now))

    def conclude_group(self, group_id: UUID, reason: str, now: datetime) -> None:
        """End the group as planned."""
        self._on_group(group_id, "conclude", reason, _aware(now))

    def dissolve_group(self, group_id: UUID, reason: str, now: datetime) -> None:
        """Disband the group early."""
        self._on_group(group_id, "dissolve", reason, _aware(now))

    def _on_group(self, group_id: UUID, command: str, *args: Any) -> None:
        with self.unit() as uow:
            getattr(_group(uow, group_id), command)(*args)


def _program(uow: UnitOfWork, program_id: UUID) -> Program:
    return uow.get(program_id, Program, UnknownProgram)


def _group(uow: UnitOfWork, group_id: UUID) -> Group:
    return uow.get(group_id, Group, UnknownGroup)


def _lapse_after(uow: UnitOfWork, group: Group) -> int:
    return _program(uow, group.program_id).lapse_after

"""EngagementApp use cases on groups (mixed into the application)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidCommand, NotACoordinator, UnknownGroup
from domain.group import Group
from domain.moments import aware as _aware
from domain.program_use_cases import program_in
from domain.unit_of_work import UnitOfWork


class GroupUseCases:
    """Group commands; each runs in the current unit of work."""

    unit: Any

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
            program_in(uow, program_id)
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
        with self._group(group_id) as group:
            group.join(member_id, role, _aware(now), provisional)

    def change_group(self, group_id: UUID, name: str, cadence: str, goal: str,
                     coordinator_id: UUID | None, now: datetime) -> None:  # fmt: skip
        """Change a group's details (onboarding, decision 0021)."""
        with self._group(group_id) as group:
            group.change_details(name, cadence, goal, coordinator_id, _aware(now))

    def change_role(self, group_id: UUID, member_id: UUID, role: str, now: datetime) -> None:
        """Change a current member's role (onboarding, decision 0021)."""
        with self._group(group_id) as group:
            group.change_role(member_id, role, _aware(now))

    def leave_member(self, group_id: UUID, member_id: UUID, now: datetime) -> None:
        """Remove a member from a group."""
        with self._group(group_id) as group:
            group.leave(member_id, _aware(now))

    def schedule_session(
        self, group_id: UUID, session_id: UUID, scheduled_for: datetime, now: datetime
    ) -> None:
        """Put a session in the group's calendar."""
        with self._group(group_id) as group:
            group.schedule_session(session_id, _aware(scheduled_for), _aware(now))

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
        with self._group(group_id) as group:
            group.cancel_session(session_id, reason, _aware(now))

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
        with self._group(group_id) as group:
            due = due if due is None else _aware(due)
            group.make_commitment(commitment_id, member_id, _aware(now), session_id, due)

    def keep_commitment(self, group_id: UUID, commitment_id: UUID, now: datetime) -> None:
        """Record a commitment kept."""
        with self._group(group_id) as group:
            group.keep_commitment(commitment_id, _aware(now))

    def miss_commitment(self, group_id: UUID, commitment_id: UUID, now: datetime) -> None:
        """Record a commitment missed."""
        with self._group(group_id) as group:
            group.miss_commitment(commitment_id, _aware(now))

    def drop_commitment(self, group_id: UUID, commitment_id: UUID, now: datetime) -> None:
        """Record a commitment dropped."""
        with self._group(group_id) as group:
            group.drop_commitment(commitment_id, _aware(now))

    def pause_group(self, group_id: UUID, until: datetime, reason: str, now: datetime) -> None:
        """Start a planned break; sessions held inside it never count towards a lapse."""
        with self._group(group_id) as group:
            group.pause(_aware(until), reason, _aware(now))

    def resume_group(self, group_id: UUID, now: datetime) -> None:
        """End the current pause early."""
        with self._group(group_id) as group:
            group.resume(_aware(now))

    def mentor_check_in(self, group_id: UUID, mentor_id: UUID, now: datetime) -> None:
        """Record a mentor looking in on the group."""
        with self._group(group_id) as group:
            group.mentor_check_in(mentor_id, _aware(now))

    def conclude_group(self, group_id: UUID, reason: str, now: datetime) -> None:
        """End the group as planned."""
        with self._group(group_id) as group:
            group.conclude(reason, _aware(now))

    def dissolve_group(self, group_id: UUID, reason: str, now: datetime) -> None:
        """Disband the group early."""
        with self._group(group_id) as group:
            group.dissolve(reason, _aware(now))

    def log_intervention(self, group_id: UUID, coordinator_id: UUID, kind: str, now: datetime,
                         note: str = "", merged_into: UUID | None = None) -> None:  # fmt: skip
        """Record what a coordinator of the group's program did about the group.

        ``merged`` names another group of the same program (and dissolves this one);
        ``ended`` concludes the group (decision 0019).
        """
        with self.unit() as uow:
            group = _group(uow, group_id)
            program = program_in(uow, group.program_id)
            if str(coordinator_id) not in program.coordinators:
                raise NotACoordinator(
                    f"coordinator {coordinator_id} is not assigned to program {program.id}"
                )
            if kind == "merged" and merged_into is not None and merged_into != group_id:
                target = _group(uow, merged_into)
                if target.program_id != group.program_id:
                    raise InvalidCommand(f"group {group_id} cannot be merged into group "
                                         f"{merged_into} of another program")  # fmt: skip
            group.log_intervention(coordinator_id, kind, _aware(now), note, merged_into)

    @contextmanager
    def _group(self, group_id: UUID) -> Iterator[Group]:
        """The group, in the current unit of work (committed after the block if not batched)."""
        with self.unit() as uow:
            yield _group(uow, group_id)


def _group(uow: UnitOfWork, group_id: UUID) -> Group:
    return uow.get(group_id, Group, UnknownGroup)


def _lapse_after(uow: UnitOfWork, group: Group) -> int:
    return program_in(uow, group.program_id).lapse_after

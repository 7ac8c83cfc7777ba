"""EngagementApp use cases on programs (mixed into the application)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import UnknownProgram
from domain.moments import aware as _aware
from domain.program import Program
from domain.unit_of_work import UnitOfWork


class ProgramUseCases:
    """Program commands; each runs in the current unit of work."""

    unit: Any

    def launch_program(self, program_id: UUID, name: str, organisation: str, cadence: str,
                       now: datetime, lapse_after: int = 3, escalate_after_days: int = 3,
                       provisional: bool = False, auto_create: bool = False) -> None:  # fmt: skip
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
                    auto_create,
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
                    auto_create,
                )
            )

    def change_program(self, program_id: UUID, name: str, organisation: str, cadence: str,
                       lapse_after: int, escalate_after_days: int, auto_create: bool,
                       now: datetime) -> None:  # fmt: skip
        """Change a launched program's details (onboarding, decision 0021)."""
        with self.unit() as uow:
            program_in(uow, program_id).change_details(
                name, organisation, cadence, lapse_after, escalate_after_days, auto_create,
                _aware(now),
            )  # fmt: skip

    def unassign_coordinator(self, program_id: UUID, coordinator_id: UUID, now: datetime) -> None:
        """Take a coordinator off the program."""
        with self.unit() as uow:
            program_in(uow, program_id).unassign_coordinator(coordinator_id, _aware(now))

    def set_lead_coordinator(self, program_id: UUID, coordinator_id: UUID, now: datetime) -> None:
        """Name the program's lead coordinator."""
        with self.unit() as uow:
            program_in(uow, program_id).set_lead_coordinator(coordinator_id, _aware(now))

    def change_lapse_policy(self, program_id: UUID, lapse_after: int, now: datetime) -> None:
        """Change after how many consecutive unexcused absences members lapse."""
        with self.unit() as uow:
            program_in(uow, program_id).change_lapse_policy(lapse_after, _aware(now))


def program_in(uow: UnitOfWork, program_id: UUID) -> Program:
    """The launched program, or :class:`UnknownProgram`."""
    return uow.get(program_id, Program, UnknownProgram)

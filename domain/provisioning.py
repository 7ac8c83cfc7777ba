"""Provisioning: what an early message names is created with placeholder details (0015).

Senders are independent systems, so a roll call can arrive before the roster and a mark
before the roll call. A message provisions what it names and nothing more: a program
never launched is launched provisionally (named by the sender's id, organisation = the
sender, weekly unless the message says otherwise), a group never formed is formed
provisionally (named by the sender's id, with its program's cadence, no goal), and a
member never on the roster joins as a provisional ``peer``. The real ``launch``,
``form`` and ``join`` arriving later replace those placeholders once
(``DetailsAmended``, ``MemberRoleChanged``); provisioning never changes an existing
aggregate, and a member who left is never re-joined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import UnknownGroup, UnknownProgram
from domain.group import Group
from domain.group_use_cases import GroupUseCases
from domain.program import Program
from domain.program_use_cases import ProgramUseCases

PROVISIONAL_CADENCE = "weekly"
PROVISIONAL_ROLE = "peer"


@dataclass(frozen=True)
class NamedProgram:
    """The program a message names: its peerpulse id, the sender's id for it, the sender."""

    id: UUID
    external_id: str
    source: str


@dataclass(frozen=True)
class NamedGroup:
    """The group a message names, with the program the message places it in."""

    id: UUID
    external_id: str
    program: NamedProgram


class Provisioning(GroupUseCases, ProgramUseCases):
    """Creates what a message names when it is not there yet; mixed into the application."""

    def provision_program(
        self, program: NamedProgram, now: datetime, cadence: str = PROVISIONAL_CADENCE
    ) -> Program:
        """The program, launched provisionally if it was never launched."""
        with self.unit() as uow:
            found = uow.find(program.id, Program)
            if found is None:
                self.launch_program(program.id, program.external_id, program.source, cadence,
                                    now, provisional=True)  # fmt: skip
                found = uow.get(program.id, Program, UnknownProgram)
            return found

    def provision_group(self, group: NamedGroup, now: datetime) -> Group:
        """The group, formed provisionally in its (provisioned) program if never formed."""
        with self.unit() as uow:
            found = uow.find(group.id, Group)
            if found is None:
                program = self.provision_program(group.program, now)
                self.form_group(group.id, program.id, group.external_id, program.cadence, "",
                                now, provisional=True)  # fmt: skip
                found = uow.get(group.id, Group, UnknownGroup)
            return found

    def provision_members(self, group: NamedGroup, members: Iterable[UUID], now: datetime) -> Group:
        """The group, with every named member who was never on its roster joined as a peer."""
        found = self.provision_group(group, now)
        for member in members:
            if not found.ever_joined(member):
                self.join_member(group.id, member, PROVISIONAL_ROLE, now, provisional=True)
        return found

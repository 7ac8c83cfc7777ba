"""EngagementApp use cases on people: coordinators and members, and their sealed data.

Names and contacts are sealed with the person's own key before any event is
recorded, so destroying that key (``forget_member``) shreds them everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import (
    AlreadyExists,
    InvalidCommand,
    MemberForgotten,
    NotACoordinator,
    UnknownMember,
    UnknownProgram,
)
from domain.member import Member
from domain.moments import aware
from domain.program import Program
from domain.vault import PersonalDataVault
from domain.views import CoordinatorContact, MemberProfile


class PeopleUseCases:
    """Commands and queries involving personal data."""

    unit: Any
    vault: PersonalDataVault | None

    def assign_coordinator(
        self,
        program_id: UUID,
        coordinator_id: UUID,
        name: str,
        contact: str,
        time_zone: str,
        channel: str,
        now: datetime,
        digest: str = "daily",
        digest_hour: int = 8,
    ) -> None:
        """Assign a coordinator; name and contact are sealed; an identical repeat is a no-op."""
        with self.unit() as uow:
            program = uow.get(program_id, Program, UnknownProgram)
            current = program.coordinators.get(str(coordinator_id))
            if current is not None and (
                self._unseal(coordinator_id, current["sealed_name"]),
                self._unseal(coordinator_id, current["sealed_contact"]),
                current["time_zone"],
                current["channel"],
                current["digest"],
                current["digest_hour"],
            ) == (name, contact, time_zone, channel, digest, digest_hour):
                return
            program.assign_coordinator(
                coordinator_id,
                self._seal(coordinator_id, name),
                self._seal(coordinator_id, contact),
                time_zone,
                channel,
                digest,
                digest_hour,
                aware(now),
            )

    def register_member(
        self, member_id: UUID, pseudonym: str, display_name: str, contact: str, now: datetime
    ) -> None:
        """Register a person, sealing name and contact with their own key."""
        with self.unit() as uow:
            existing = uow.find(member_id, Member)
            if existing is not None:
                if existing.forgotten:
                    raise MemberForgotten(f"member {member_id} was forgotten; register a new id")
                if (
                    existing.pseudonym,
                    self._unseal(member_id, existing.sealed_name),
                    self._unseal(member_id, existing.sealed_contact),
                ) != (pseudonym, display_name, contact):
                    raise AlreadyExists(f"member {member_id} was registered with other details")
                return
            uow.add(
                Member.register(
                    member_id,
                    pseudonym,
                    self._seal(member_id, display_name),
                    self._seal(member_id, contact),
                    aware(now),
                )
            )

    def forget_member(self, member_id: UUID, now: datetime) -> None:
        """Crypto-shred a member: destroy their key, then record ``Member.Forgotten``."""
        with self.unit() as uow:
            member = uow.get(member_id, Member, UnknownMember)
            self._vault().destroy(member_id)
            member.forget(aware(now))

    def member_profile(self, member_id: UUID) -> MemberProfile:
        """The member's readable details (``None`` once forgotten)."""
        with self.unit() as uow:
            member = uow.get(member_id, Member, UnknownMember)
        return MemberProfile(
            member_id=member_id,
            pseudonym=member.pseudonym,
            forgotten=member.forgotten,
            display_name=self._unseal(member_id, member.sealed_name),
            contact=self._unseal(member_id, member.sealed_contact),
        )

    def coordinator_contact(self, program_id: UUID, coordinator_id: UUID) -> CoordinatorContact:
        """How to reach a program's coordinator."""
        with self.unit() as uow:
            program = uow.get(program_id, Program, UnknownProgram)
        details = program.coordinators.get(str(coordinator_id))
        if details is None:
            raise NotACoordinator(f"{coordinator_id} is not a coordinator of program {program_id}")
        return CoordinatorContact(
            coordinator_id=coordinator_id,
            name=self._unseal(coordinator_id, details["sealed_name"]),
            contact=self._unseal(coordinator_id, details["sealed_contact"]),
            time_zone=details["time_zone"],
            channel=details["channel"],
            digest=details["digest"],
            digest_hour=details["digest_hour"],
        )

    def _vault(self) -> PersonalDataVault:
        if self.vault is None:
            raise InvalidCommand("this EngagementApp was built without a personal-data vault")
        return self.vault

    def _seal(self, person_id: UUID, plaintext: str) -> str:
        return self._vault().seal(person_id, plaintext)

    def _unseal(self, person_id: UUID, token: str) -> str | None:
        return self._vault().unseal(person_id, token)

"""Intake: the use cases inbound messages call, one per message type, in any arrival order.

Each method is what one message from another system means for peerpulse (decision 0015):
it provisions what the message names (:mod:`domain.provisioning`), then runs the command,
reconciling with what arrived earlier — a roll call merges into one-by-one marks, a
schedule for a session already held or cancelled is superseded, a commitment settled
before it was made is made bare first. All of it commits together: in the caller's
batch (the ingest consumer's, with its Kafka position) or in a batch of its own.
Ids come in already derived and personal data in clear: translating the wire is the
consumer's job (``consumers/ingest/mapper.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import UnknownGroup
from domain.group import Group
from domain.people_use_cases import PeopleUseCases
from domain.provisioning import NamedGroup, NamedProgram
from domain.unmatched_use_cases import Attendance, UnmatchedUseCases

__all__ = ["IntakeUseCases", "NamedGroup", "NamedProgram", "Person"]


@dataclass(frozen=True)
class Person:
    """Personal details a roster message carried, in clear (sealed again by the domain)."""

    pseudonym: str | None
    display_name: str
    contact: str


class IntakeUseCases(UnmatchedUseCases, PeopleUseCases):
    """The inbound use cases; mixed into :class:`~domain.application.EngagementApp`."""

    batch: Callable[..., Any]
    _current: Any

    def intake_program_launched(self, program: NamedProgram, name: str, organisation: str,
                                cadence: str, now: datetime, lapse_after: int = 3,
                                escalate_after_days: int = 3,
                                auto_create: bool = False) -> None:  # fmt: skip
        """A program launched; its real details replace provisional ones."""
        with self._atomically():
            self.launch_program(program.id, name, organisation, cadence, now, lapse_after,
                                escalate_after_days, auto_create=auto_create)  # fmt: skip
            self.release_held(program.id, now)

    def intake_program_changed(self, program: NamedProgram, name: str, organisation: str,
                               cadence: str, now: datetime, lapse_after: int,
                               escalate_after_days: int, auto_create: bool) -> None:  # fmt: skip
        """An operator changed a launched program's details (onboarding, decision 0021)."""
        with self._atomically():
            self.change_program(program.id, name, organisation, cadence, lapse_after,
                                escalate_after_days, auto_create, now)  # fmt: skip
            self.release_held(program.id, now)

    def intake_coordinator_assigned(self, program: NamedProgram, coordinator_id: UUID,
                                    name: str, contact: str, time_zone: str, channel: str,
                                    now: datetime, digest: str = "daily",
                                    digest_hour: int = 8) -> None:  # fmt: skip
        """A coordinator took on the program's groups."""
        with self._atomically():
            self.provision_program(program, now)
            self.assign_coordinator(program.id, coordinator_id, name, contact, time_zone,
                                    channel, now, digest, digest_hour)  # fmt: skip

    def intake_group_formed(self, group: NamedGroup, name: str, cadence: str, goal: str,
                            coordinator_id: UUID | None, now: datetime) -> None:  # fmt: skip
        """A group was formed; an unknown program is provisioned with the group's cadence."""
        with self._atomically():
            self.provision_program(group.program, now, cadence)
            self.form_group(group.id, group.program.id, name, cadence, goal, now, coordinator_id)
            self.release_held(group.program.id, now, group.id)

    def intake_group_changed(self, group: NamedGroup, name: str, cadence: str, goal: str,
                             coordinator_id: UUID | None, now: datetime) -> None:  # fmt: skip
        """An operator changed a formed group's details (onboarding, decision 0021)."""
        with self._atomically():
            self.change_group(group.id, name, cadence, goal, coordinator_id, now)

    def intake_member_role_changed(self, group: NamedGroup, member_id: UUID, role: str,
                                   now: datetime) -> None:  # fmt: skip
        """An operator changed a current member's role (onboarding, decision 0021)."""
        with self._atomically():
            self.change_role(group.id, member_id, role, now)

    def intake_member_joined(self, group: NamedGroup, member_id: UUID, role: str,
                             now: datetime, person: Person | None = None) -> None:  # fmt: skip
        """A member joined (registered first when the message carried their details)."""
        with self._atomically():
            self.provision_group(group, now)
            if person is not None:
                pseudonym = person.pseudonym or f"member-{member_id.hex[:8]}"
                self.register_member(member_id, pseudonym, person.display_name,
                                     person.contact, now)  # fmt: skip
            self.join_member(group.id, member_id, role, now)
            self.release_held(group.program.id, now, group.id)

    def intake_member_left(self, group: NamedGroup, member_id: UUID, now: datetime) -> None:
        """A member left (joined first if the roster never named them)."""
        with self._atomically():
            self.provision_members(group, [member_id], now)
            self.release_held(group.program.id, now, group.id)
            self.leave_member(group.id, member_id, now)

    def intake_session_scheduled(self, group: NamedGroup, session_id: UUID,
                                 scheduled_for: datetime, now: datetime) -> None:  # fmt: skip
        """A session was put in the calendar; superseded if it was already held or called off."""
        with self._atomically():
            found = self.provision_group(group, now)
            if found.session_status(session_id) in (None, "scheduled"):
                self.schedule_session(group.id, session_id, scheduled_for, now)

    def intake_session_held(self, group: NamedGroup, session_id: UUID, present: list[UUID],
                            absent: list[UUID], excused: list[UUID], attendance_taken: bool,
                            now: datetime, names: Mapping[UUID, str] | None = None,
                            session: str = "") -> None:  # fmt: skip
        """A roll call; merged mark by mark into a session one-by-one marks already held.

        What the roster does not know is held as unmatched (0021); ``names``: the sender's
        ids of the members and ``session`` of the session, shown on the unmatched list.
        """
        names = names or {}
        marks = tuple((m, names.get(m, str(m)), status)
                      for status, members in (("present", present), ("absent", absent),
                                              ("excused", excused))
                      for m in members)  # fmt: skip
        with self._atomically():
            self.take_attendance(Attendance(group, session_id, session or str(session_id), now,
                                            marks, attendance_taken))  # fmt: skip

    def intake_attendance_marked(self, group: NamedGroup, session_id: UUID, member_id: UUID,
                                 status: str, now: datetime, member: str = "",
                                 session: str = "") -> None:  # fmt: skip
        """One member's mark; it holds the session if the session was not held yet.

        Held as unmatched when the roster does not know the group or the member (0021).
        """
        mark = (member_id, member or str(member_id), status)
        with self._atomically():
            self.take_attendance(Attendance(group, session_id, session or str(session_id), now,
                                            (mark,), roll_call=False))  # fmt: skip

    def intake_unmatched_mapped(self, program: NamedProgram, item: str, by: str,
                                now: datetime, group_id: UUID | None = None,
                                member_id: UUID | None = None) -> None:  # fmt: skip
        """A coordinator (``by``: the sender's id) mapped an unmatched item to a known group
        or member (0021)."""
        with self._atomically():
            self.map_unmatched(program.id, item, by, now, group_id, member_id)

    def intake_unmatched_rejected(self, program: NamedProgram, item: str, by: str,
                                  reason: str, now: datetime) -> None:  # fmt: skip
        """A coordinator rejected an unmatched item (0021)."""
        with self._atomically():
            self.reject_unmatched(program.id, item, by, reason, now)

    def intake_session_cancelled(self, group: NamedGroup, session_id: UUID, reason: str,
                                 now: datetime) -> None:  # fmt: skip
        """A session was called off."""
        with self._atomically():
            self.provision_group(group, now)
            self.cancel_session(group.id, session_id, reason, now)

    def intake_commitment_made(self, group: NamedGroup, commitment_id: UUID, member_id: UUID,
                               session_id: UUID | None, due: datetime | None,
                               now: datetime) -> None:  # fmt: skip
        """A commitment; it fills in the details of one recorded bare when settled first."""
        with self._atomically():
            self.provision_members(group, [member_id], now)
            self.release_held(group.program.id, now, group.id)
            self.make_commitment(group.id, commitment_id, member_id, now, session_id, due)

    def intake_commitment_kept(self, group: NamedGroup, commitment_id: UUID, member_id: UUID,
                               now: datetime) -> None:  # fmt: skip
        """A commitment was kept (made bare first if it was never heard of)."""
        with self._atomically():
            self._provision_commitment(group, commitment_id, member_id, now)
            self.keep_commitment(group.id, commitment_id, now)

    def intake_commitment_missed(self, group: NamedGroup, commitment_id: UUID,
                                 member_id: UUID, now: datetime) -> None:  # fmt: skip
        """A commitment was missed (made bare first if it was never heard of)."""
        with self._atomically():
            self._provision_commitment(group, commitment_id, member_id, now)
            self.miss_commitment(group.id, commitment_id, now)

    def intake_group_paused(self, group: NamedGroup, until: datetime, reason: str,
                            now: datetime) -> None:  # fmt: skip
        """The group planned a break."""
        with self._atomically():
            self.provision_group(group, now)
            self.pause_group(group.id, until, reason, now)

    def intake_group_resumed(self, group: NamedGroup, now: datetime) -> None:
        """The group is meeting again after a pause."""
        with self._atomically():
            self.provision_group(group, now)
            self.resume_group(group.id, now)

    def intake_intervention(self, group: NamedGroup, coordinator_id: UUID, kind: str,
                            now: datetime, note: str = "",
                            merged_into: NamedGroup | None = None) -> None:  # fmt: skip
        """A coordinator acted on a group (decision 0019). Nothing is provisioned: an
        intervention on a group, or a merge into one, that peerpulse never heard of is
        refused (``UnknownGroup`` naming the sender's id)."""
        with self._atomically(), self.unit() as uow:
            for named in (group, merged_into):
                if named is not None and uow.find(named.id, Group) is None:
                    raise UnknownGroup(named.id, named.external_id)
            target = None if merged_into is None else merged_into.id
            self.log_intervention(group.id, coordinator_id, kind, now, note, target)

    def _provision_commitment(
        self, group: NamedGroup, commitment_id: UUID, member_id: UUID, now: datetime
    ) -> None:
        found = self.provision_members(group, [member_id], now)
        self.release_held(group.program.id, now, group.id)
        if not found.knows_commitment(commitment_id):  # settled before we heard it was made
            self.make_commitment(group.id, commitment_id, member_id, now)

"""The Program aggregate: who runs a mentoring programme, its cadence and its lapse policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import AlreadyExists, InvalidCommand, NotACoordinator
from domain.records import ReplacedRecords

CHANNELS = ("email", "webhook", "slack")
DIGESTS = ("immediate", "daily")


class Program(ReplacedRecords, Aggregate):
    """A programme (university, accelerator, company) running many groups."""

    @classmethod
    def launch(cls, program_id: UUID, name: str, organisation: str, cadence: str, now: datetime,
               lapse_after: int = 3, escalate_after_days: int = 3,
               provisional: bool = False, auto_create: bool = False) -> Program:  # fmt: skip
        """Launch a programme (``provisional``: placeholder details, see decision 0015;
        ``auto_create``: attendance may provision what the roster does not know, 0021)."""
        _check_lapse_after(lapse_after)
        return cls._create(
            cls.Launched,
            id=program_id,
            timestamp=now,
            name=name,
            organisation=organisation,
            cadence=cadence,
            lapse_after=lapse_after,
            escalate_after_days=escalate_after_days,
            provisional=provisional,
            auto_create=auto_create,
        )

    def launch_again(
        self,
        name: str,
        organisation: str,
        cadence: str,
        lapse_after: int,
        escalate_after_days: int,
        now: datetime,
        provisional: bool = False,
        auto_create: bool = False,
    ) -> None:
        """A repeated launch: identical changes nothing; real details replace provisional ones.

        Provisioning never touches an existing program; details contradicting a program
        launched for real are :class:`AlreadyExists` (a change is :meth:`change_details`).
        """
        if provisional or (
            not self.provisional
            and self.details()
            == (name, organisation, cadence, lapse_after, escalate_after_days, auto_create)
        ):
            return  # fmt: skip
        if not self.provisional:
            raise AlreadyExists(f"program {self.id} was already launched with other details")
        self._amend(name, organisation, cadence, lapse_after, escalate_after_days, auto_create,
                    now)  # fmt: skip

    def change_details(self, name: str, organisation: str, cadence: str, lapse_after: int,
                       escalate_after_days: int, auto_create: bool,
                       now: datetime) -> None:  # fmt: skip
        """An operator changed the programme's details (onboarding, 0021); same ones: no-op."""
        if self.details() != (name, organisation, cadence, lapse_after, escalate_after_days,
                              auto_create) or self.provisional:  # fmt: skip
            self._amend(name, organisation, cadence, lapse_after, escalate_after_days,
                        auto_create, now)  # fmt: skip

    def details(self) -> tuple[str, str, str, int, int, bool]:
        """Name, organisation, cadence, lapse policy, escalation days and ``auto_create``."""
        return (self.name, self.organisation, self.cadence, self.launched_lapse_after,
                self.escalate_after_days, self.auto_create)  # fmt: skip

    def _amend(self, name: str, organisation: str, cadence: str, lapse_after: int,
               escalate_after_days: int, auto_create: bool, now: datetime) -> None:  # fmt: skip
        _check_lapse_after(lapse_after)
        self.trigger_event(
            self.DetailsAmended,
            timestamp=now,
            name=name,
            organisation=organisation,
            cadence=cadence,
            lapse_after=lapse_after,
            escalate_after_days=escalate_after_days,
            auto_create=auto_create,
        )

    def assign_coordinator(
        self,
        coordinator_id: UUID,
        sealed_name: str,
        sealed_contact: str,
        time_zone: str,
        channel: str,
        digest: str,
        digest_hour: int,
        now: datetime,
    ) -> None:
        """Make someone responsible for groups; name and contact arrive already sealed."""
        if channel not in CHANNELS or digest not in DIGESTS or not 0 <= digest_hour < 24:
            raise InvalidCommand(
                f"coordinator {coordinator_id} of program {self.id}: bad "
                f"channel {channel!r}, digest {digest!r} or hour {digest_hour}"
            )
        self.trigger_event(
            self.CoordinatorAssigned,
            timestamp=now,
            coordinator_id=coordinator_id,
            sealed_name=sealed_name,
            sealed_contact=sealed_contact,
            time_zone=time_zone,
            channel=channel,
            digest=digest,
            digest_hour=digest_hour,
        )

    def unassign_coordinator(self, coordinator_id: UUID, now: datetime) -> None:
        """Take a coordinator off the programme; doing it twice changes nothing."""
        if str(coordinator_id) in self.coordinators:
            self.trigger_event(
                self.CoordinatorUnassigned, timestamp=now, coordinator_id=coordinator_id
            )

    def set_lead_coordinator(self, coordinator_id: UUID, now: datetime) -> None:
        """Name the coordinator who receives escalations."""
        if self.lead == coordinator_id:
            return
        if str(coordinator_id) not in self.coordinators:
            raise NotACoordinator(f"{coordinator_id} is not a coordinator of program {self.id}")
        self.trigger_event(self.LeadCoordinatorSet, timestamp=now, coordinator_id=coordinator_id)

    def change_lapse_policy(self, lapse_after: int, now: datetime) -> None:
        """Change after how many consecutive unexcused absences a member lapses."""
        _check_lapse_after(lapse_after)
        if lapse_after != self.lapse_after:
            self.trigger_event(self.LapsePolicyChanged, timestamp=now, lapse_after=lapse_after)

    class Launched(Aggregate.Created):
        """An operator launched the programme with its default cadence and lapse policy.

        Version 2 added ``provisional``: ingest launched it with placeholder details
        because a message named it before ``program.launched`` arrived; kept off the wire.
        Version 3 added ``auto_create`` (decision 0021): attendance naming a group or
        member the roster does not know provisions it instead of being held as unmatched.
        """

        class_version = 3

        name: str
        organisation: str
        cadence: str
        lapse_after: int
        escalate_after_days: int
        provisional: bool
        auto_create: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 programs were always launched for real."""
            state["provisional"] = False

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Programs launched before 0021 keep the behaviour they had: auto-create."""
            state["auto_create"] = True

        def apply(self, program: Program) -> None:
            program.name, program.organisation = self.name, self.organisation
            program.cadence, program.escalate_after_days = self.cadence, self.escalate_after_days
            program.lapse_after = program.launched_lapse_after = self.lapse_after
            program.coordinators, program.lead = {}, None
            program.provisional, program.auto_create = self.provisional, self.auto_create

    class DetailsAmended(Aggregate.Event):
        """The real details of a provisionally launched programme arrived (ingest, 0015), or
        an operator changed them (onboarding, 0021). Version 2 added ``auto_create``."""

        class_version = 2

        name: str
        organisation: str
        cadence: str
        lapse_after: int
        escalate_after_days: int
        auto_create: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Amendments before 0021 kept today's behaviour: auto-create."""
            state["auto_create"] = True

        def apply(self, program: Program) -> None:
            program.name, program.organisation = self.name, self.organisation
            program.cadence, program.escalate_after_days = self.cadence, self.escalate_after_days
            program.lapse_after = program.launched_lapse_after = self.lapse_after
            program.provisional, program.auto_create = False, self.auto_create

    class CoordinatorAssigned(Aggregate.Event):
        """An operator assigned a coordinator; their name and contact are sealed tokens."""

        coordinator_id: UUID
        sealed_name: str
        sealed_contact: str
        time_zone: str
        channel: str
        digest: str
        digest_hour: int

        def apply(self, program: Program) -> None:
            details: dict[str, Any] = {
                k: v
                for k, v in vars(self).items()
                if k not in ("originator_id", "originator_version", "timestamp", "coordinator_id")
            }
            program.coordinators[str(self.coordinator_id)] = details

    class CoordinatorUnassigned(Aggregate.Event):
        """An operator took the coordinator off the programme."""

        coordinator_id: UUID

        def apply(self, program: Program) -> None:
            program.coordinators.pop(str(self.coordinator_id), None)
            if program.lead == self.coordinator_id:
                program.lead = None

    class LeadCoordinatorSet(Aggregate.Event):
        """An operator named the lead coordinator (receives escalations)."""

        coordinator_id: UUID

        def apply(self, program: Program) -> None:
            program.lead = self.coordinator_id

    class LapsePolicyChanged(Aggregate.Event):
        """An operator changed after how many consecutive misses a member lapses."""

        lapse_after: int

        def apply(self, program: Program) -> None:
            program.lapse_after = self.lapse_after


def _check_lapse_after(lapse_after: int) -> None:
    if not isinstance(lapse_after, int) or lapse_after < 1:
        raise InvalidCommand(f"lapse_after must be a positive whole number, not {lapse_after!r}")

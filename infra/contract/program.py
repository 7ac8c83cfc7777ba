"""Wire data for the Program aggregate's public events (``peerpulse.program.*``)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from infra.contract.base import Cadence, Channel, Digest, Name, TimeZone, WireData


class ProgramLaunched(WireData):
    """A program (a cohort of groups run by one organisation) was launched."""

    TYPE = "peerpulse.program.launched.v1"
    DOMAIN = "Program.Launched"

    name: Name
    organisation: Name
    cadence: Cadence
    lapse_after: int = Field(3, ge=1, description="Consecutive unexcused misses that lapse.")
    escalate_after_days: int = Field(3, ge=0, description="Days before an open alert escalates.")


class ProgramDetailsAmended(WireData):
    """The real details of a program that ingest had launched provisionally arrived."""

    TYPE = "peerpulse.program.details-amended.v1"
    DOMAIN = "Program.DetailsAmended"

    name: Name
    organisation: Name
    cadence: Cadence
    lapse_after: int = Field(3, ge=1, description="Consecutive unexcused misses that lapse.")
    escalate_after_days: int = Field(3, ge=0, description="Days before an open alert escalates.")


class CoordinatorAssigned(WireData):
    """A coordinator now receives the program's alerts (name and contact stay in the store)."""

    TYPE = "peerpulse.program.coordinator-assigned.v1"
    DOMAIN = "Program.CoordinatorAssigned"

    coordinator_id: UUID
    time_zone: TimeZone = Field(description="IANA time zone name.")
    channel: Channel
    digest: Digest = "immediate"
    digest_hour: int = Field(8, ge=0, le=23, description="Local hour for daily digests.")


class CoordinatorUnassigned(WireData):
    """A coordinator stopped receiving the program's alerts."""

    TYPE = "peerpulse.program.coordinator-unassigned.v1"
    DOMAIN = "Program.CoordinatorUnassigned"

    coordinator_id: UUID


class LeadCoordinatorSet(WireData):
    """A coordinator became the lead, who receives escalations."""

    TYPE = "peerpulse.program.lead-coordinator-set.v1"
    DOMAIN = "Program.LeadCoordinatorSet"

    coordinator_id: UUID


class LapsePolicyChanged(WireData):
    """The number of consecutive unexcused absences that lapse a member changed."""

    TYPE = "peerpulse.program.lapse-policy-changed.v1"
    DOMAIN = "Program.LapsePolicyChanged"

    lapse_after: int = Field(ge=1)


MODELS: tuple[type[WireData], ...] = (
    ProgramLaunched,
    ProgramDetailsAmended,
    CoordinatorAssigned,
    CoordinatorUnassigned,
    LeadCoordinatorSet,
    LapsePolicyChanged,
)

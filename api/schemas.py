"""Response models: what the API answers, as documented in its OpenAPI at /docs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    """What went wrong and which field is at fault."""

    code: str = Field(description="Bounded error code, e.g. invalid_field, forbidden.")
    message: str = Field(description="For a person: what is wrong and where.")
    field: str | None = Field(None, description="Path of the field at fault, if any.")


class ErrorResponse(BaseModel):
    """Every error answer."""

    error: ErrorDetail


class KafkaRecord(BaseModel):
    """Where a message landed on the attendance topic."""

    partition: int
    offset: int


class AttendanceAccepted(BaseModel):
    """202: the messages are durably on ``peerpulse.attendance.v1``."""

    accepted: int
    ids: list[str] = Field(description="The messages' own CloudEvents ids, in order.")
    records: list[KafkaRecord]


class Reason(BaseModel):
    """Why a group is at its level, in plain words."""

    code: str
    text: str
    weight: float


class LevelCounts(BaseModel):
    """How many groups are at each risk level."""

    healthy: int = 0
    watch: int = 0
    at_risk: int = 0
    dormant: int = 0


class ProgramOut(BaseModel):
    """A program and its groups per level."""

    program_id: str
    name: str | None = None
    organisation: str | None = None
    cadence: str | None = None
    lapse_after: int | None = None
    coordinators: int | None = None
    launched_at: str | None = None
    levels: LevelCounts
    ended: int = 0
    groups: int = Field(0, description="Groups still running (every level).")


class ProgramList(BaseModel):
    """Programs the token covers."""

    items: list[ProgramOut]


class GroupOut(BaseModel):
    """A group's current health."""

    group_id: str
    program_id: str | None = None
    name: str | None = None
    cadence: str | None = None
    status: str | None = None
    members: int | None = None
    coordinator_id: str | None = Field(None, description="The group's own coordinator.")
    level: str | None = None
    score: float | None = None
    probability: float | None = Field(
        None, description="The risk model's P(dormant within 3 cadence periods)."
    )
    reasons: list[Reason] = []
    top_reason: str | None = Field(None, description="The heaviest reason's text.")
    level_since: str | None = None
    last_session_at: str | None = None
    sessions_held: int | None = None
    sessions_cancelled: int | None = None
    paused_until: str | None = None
    updated_at: str | None = None


class GroupRow(GroupOut):
    """A group in a list: its health, its triage section and its open alerts' state."""

    section: Literal["triage", "gone_quiet", "ended"] = Field(
        "triage",
        description="`triage`: at_risk, watch, healthy (act on these first); "
        "`gone_quiet`: dormant (reach out or close); `ended`: concluded or dissolved.",
    )
    alert: Literal["open", "acknowledged"] | None = Field(
        None,
        description="`open`: an open alert nobody has acknowledged; `acknowledged`: "
        "every open alert acknowledged; null: no open alert.",
    )


class GroupPage(BaseModel):
    """A page of groups; ``total`` counts every group matching the filters (there is no
    other cap: page through with ``offset``)."""

    total: int
    limit: int
    offset: int
    items: list[GroupRow]


class SessionOut(BaseModel):
    """A scheduled, held or cancelled session with its roll call (member ids)."""

    session_id: str
    status: str | None = None
    at: str | None = None
    present: list[str] = []
    absent: list[str] = []
    excused: list[str] = []
    attendance_taken: bool | None = None
    reason: str | None = None


class TimelineItem(BaseModel):
    """An attendance mark, commitment or milestone on the group's timeline."""

    item_id: str
    kind: str | None = None
    status: str | None = None
    at: str | None = None
    member_id: str | None = None
    detail: dict[str, Any] = {}


class LevelChange(BaseModel):
    """One change of a group's risk level."""

    seq: int
    at: str | None = None
    level: str | None = None
    previous_level: str | None = None
    score: float | None = None
    reasons: list[Reason] = []


class GroupDetail(BaseModel):
    """One group: health, sessions, attendance, commitments, level history."""

    group: GroupOut
    sessions: list[SessionOut]
    attendance: list[TimelineItem]
    commitments: list[TimelineItem]
    milestones: list[TimelineItem]
    level_history: list[LevelChange]


class MemberOut(BaseModel):
    """A member's engagement in one group; the name is resolved for the reader."""

    member_id: str
    display_name: str | None = Field(None, description="None when unknown or forgotten.")
    pseudonym: str | None = Field(None, description="The member's pseudonym, if registered.")
    forgotten: bool = False
    role: str | None = None
    status: str = Field(description="active, lapsed or left.")
    joined_at: str | None = None
    left_at: str | None = None
    last_seen: str | None = None
    present: int = 0
    absent: int = 0
    excused: int = 0
    commitments_made: int = 0
    commitments_kept: int = 0
    commitments_missed: int = 0
    commitments_dropped: int = 0


class MemberList(BaseModel):
    """A group's members."""

    items: list[MemberOut]


class AlertOut(BaseModel):
    """An alert and where it is in its lifecycle."""

    alert_id: str
    alert_key: str
    kind: str
    program_id: str
    group_id: str
    member_id: str | None = None
    status: str
    severity: str
    raised_at: str | None = None
    updated_at: str | None = None
    escalate_at: str | None = None
    snoozed_until: str | None = None
    acknowledged_by: str | None = None
    ack_comment: str | None = None
    resolved_at: str | None = None
    detail: dict[str, Any] = {}


class AlertList(BaseModel):
    """A page of alerts, newest first; ``total`` counts every alert matching the filters."""

    total: int
    limit: int
    offset: int
    items: list[AlertOut]


class PartitionLagOut(BaseModel):
    """One partition of a role's input topic."""

    partition: int
    end: int = Field(description="Offset the next record on the partition will get.")
    position: int = Field(description="Next offset the role will apply.")
    lag_events: int = Field(description="Records waiting for the role.")
    lag_seconds: float | None = Field(
        description="Age of the oldest waiting record (0: caught up; null: not measured)."
    )
    owner: HolderOut | None = Field(
        default=None,
        description="Ingest on PostgreSQL: the process that owns the partition (its pid and "
        "host name, as it last recorded them); null where not recorded.",
    )


class HolderOut(BaseModel):
    """The process holding a role's singleton lock."""

    pid: int | None = Field(description="Its pid (null when the lock does not say).")
    host: str | None = Field(description="PostgreSQL: its lock session's client address.")


class RelayOut(BaseModel):
    """The relay's position: newest stored notification id against the newest relayed."""

    stored: int
    relayed: int
    per_partition: dict[str, int] = Field(description="Newest relayed id per partition.")


class RoleOut(BaseModel):
    """One role: who runs it, what it owns, how far behind it is."""

    role: Literal["ingest", "relay", "worker", "alerts"]
    title: str
    lock: str = Field(description="The role's singleton lock.")
    topic: str = Field(description="Input topic (the relay: the topic it publishes to).")
    running: bool
    holder: HolderOut | None
    standbys: list[HolderOut] = Field(
        default_factory=list, description="The relay: processes waiting to take over."
    )
    processes: list[HolderOut] = Field(
        default_factory=list,
        description="Ingest and the alert router on PostgreSQL: every process sharing the role.",
    )
    owns: str = Field(
        description='"all N" partitions of the topic, "N shared by M" processes, or "none".'
    )
    partition_count: int
    lag_events: int
    lag_seconds: float | None
    partitions: list[PartitionLagOut]
    relay: RelayOut | None
    error: str | None = Field(description="Why the role could not be read (null: it was).")


class StatusOut(BaseModel):
    """``GET /v1/status``: every role of the pipeline (as ``peerpulse status --json``)."""

    measured_at: str = Field(description="When the status was read (ISO 8601, UTC).")
    complete: bool = Field(description="Every role could be read.")
    caught_up: bool = Field(description="Every role was read and nothing waits for any.")
    roles: list[RoleOut]


class FieldChange(BaseModel):
    """One field a change would set: what peerpulse knows, what the request says."""

    from_: Any = Field(alias="from")
    to: Any


class OnboardingAnswer(BaseModel):
    """What an onboarding request does (or, in a dry run, would do)."""

    dry_run: bool
    action: Literal["create", "change", "unchanged", "leave"]
    what: str = Field(description="What it is about, by the sender's ids.")
    fields: dict[str, FieldChange] = Field(description="For `change`: the fields that differ.")
    message_type: str | None = Field(description="The ingest message that says it (none "
                                     "when nothing would change).")  # fmt: skip
    published: bool = Field(description="Whether the message is on the attendance topic.")
    message_id: str | None

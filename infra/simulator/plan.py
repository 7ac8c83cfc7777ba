"""The simulator's internal vocabulary: cadences, per-period phases, facts and ground truth.

A fate (``infra.simulator.fates``) describes a group as one :class:`Phase` per cadence
period; the renderer (``infra.simulator.render``) turns phases into :class:`Fact` objects
with noise; the adapter (``infra.simulator.contract``) turns facts into ingest-contract
messages. Keeping facts separate from the wire keeps the fates readable and testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

PERIODS: dict[str, timedelta] = {
    "weekly": timedelta(days=7),
    "fortnightly": timedelta(days=14),
    "monthly": timedelta(days=30),
}
"""Cadence -> length of one period (the same lengths as docs/contract/EVENTS.md)."""

DORMANT_AFTER_PERIODS = 3
"""A dying group is dormant this many cadence periods after its last held session (or its
forming, if it never met): the definition issue 13 scores against (decision 0011)."""


@dataclass(frozen=True)
class Phase:
    """What one cadence period looks like for a group: the chances a fate dials up or down."""

    meets: float = 0.95
    """Chance the period's session is held (otherwise cancelled or silently skipped)."""
    attend: float = 0.85
    """Chance each taking-part member is present."""
    commit: float = 0.75
    """Chance a present member makes a commitment."""
    keep: float = 0.7
    """Chance a commitment made this period is kept at the next session."""
    members: int | None = None
    """How many of the roster still take part (None: everyone)."""
    paused: bool = False
    """Inside a planned pause: nothing is scheduled."""
    scheduled: bool = True
    """The calendar still schedules a session (recurring invites outlive dead groups)."""
    cancel_share: float = 0.5
    """Of the sessions not held, the share cancelled explicitly (the rest simply don't happen)."""
    host_absent: bool = False
    """The facilitator (first on the roster) no longer comes: absent, not excused."""
    cancel_reason: str | None = None
    """The reason every cancellation of this period gives (None: an ordinary one, drawn)."""


STEADY = Phase()


@dataclass
class Shape:
    """A fate's output: one phase per period plus the plan-level facts it implies."""

    phases: list[Phase]
    dies: bool = False
    pause: tuple[int, int] | None = None
    """Pause window in periods ``[first, end)``; the session of ``end`` is the first again."""
    explicit_resume: bool = True
    decline: int | None = None
    """First period of the fate's departure from the group's healthy base (None: never)."""
    leavers: dict[int, int] = field(default_factory=dict)
    """Period -> how many members formally leave (MemberLeft) at its session."""


@dataclass(frozen=True)
class Fact:
    """One thing that happened in the simulated world, before it becomes a wire message."""

    at: datetime
    kind: str
    group: str
    data: dict[str, Any]
    key: str
    """Stable per-fact id (the sender's message id)."""


@dataclass
class GroupTruth:
    """What really happened to one group: the answer key for detection benchmarks."""

    group: str
    fate: str
    """The fate family the group was drawn from (``steady``, ``slow_fade``, ...)."""
    cadence: str
    period_days: int
    formed_at: datetime
    members: int
    dies: bool
    """Its fate killed it inside the window: the last held session is known to be the last
    (``dormant_at`` is set, possibly after the window end; then it is also censored)."""
    censored: bool
    """A dying fate whose dormancy falls after the window end (or that is still meeting at
    the end): counted neither as dying nor as healthy."""
    last_session_at: datetime | None
    dormant_at: datetime | None
    """Last held session (or forming, if it never met) + 3 cadence periods; dying only."""
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    """Announced breaks ``(group.paused, until)``: its own pause and/or the program holiday."""
    sessions_held: int = 0
    decline_at: datetime | None = None
    """When the fate's trajectory left the group's healthy base (None: it never did)."""
    coordinator: str = "coord-1"
    """The external id of the coordinator who looks after the group (alerts go to them)."""
    roster_first: bool = False
    """Its roster (``member.joined``) was published before its ``group.formed``."""
    records_commitments: bool = True
    """False: the group never records commitments (no ``commitment.*`` messages at all)."""
    replaced: int = 0
    """How many members left and were replaced by a newcomer (leave + join)."""

    @property
    def family(self) -> str:
        """The fate family (each family is one fate: the same name as :attr:`fate`)."""
        return self.fate

    @property
    def last_held_at(self) -> datetime | None:
        """The last held session (the name issue 13 uses for :attr:`last_session_at`)."""
        return self.last_session_at

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (ISO 8601 times)."""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "group": self.group,
            "fate": self.fate,
            "cadence": self.cadence,
            "period_days": self.period_days,
            "formed_at": iso(self.formed_at),
            "members": self.members,
            "dies": self.dies,
            "censored": self.censored,
            "last_session_at": iso(self.last_session_at),
            "dormant_at": iso(self.dormant_at),
            "pauses": [{"start": iso(a), "until": iso(b)} for a, b in self.pauses],
            "sessions_held": self.sessions_held,
            "decline_at": iso(self.decline_at),
            "family": self.family,
            "last_held_at": iso(self.last_held_at),
            "coordinator": self.coordinator,
            "roster_first": self.roster_first,
            "records_commitments": self.records_commitments,
            "replaced": self.replaced,
        }

"""Per-group projection state: the dataclasses :mod:`projections.fold.apply` folds events into.

A :class:`GroupState` holds what the risk model needs about one group: roster and roles,
the recent held sessions with attendance, cancellations, commitments per session window,
lapses, pause, facilitator, and ``now`` (the group's own time: its newest event or the
latest grid time it was judged at, decision 0013). Windows are bounded so memory stays
flat however long a group lives, and capped at what the risk model and the timeline
need: the last ``RECENT_SESSIONS`` held sessions (the attendance baseline is every taken
session in that window before the last three; a late attendance mark can still correct
any of them), the last ``RECENT_OUTCOMES`` held/cancelled outcomes (cancellations look
at 4), and commitments of the last ``COMMITMENT_WINDOWS`` sessions (kept/made signals
look at 3 and 2). Attendance per session is kept as tuples and member ids are interned,
about 8 KiB per group in all (decision 0006: 100,000 groups in < 1 GiB).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 30}
RECENT_SESSIONS = 12
RECENT_OUTCOMES = 8
COMMITMENT_WINDOWS = 6


@dataclass(slots=True)
class SessionRecord:
    """One held session: when, its ordinal, and who was present/absent/excused."""

    session_id: str
    at: datetime
    ordinal: int
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    excused: tuple[str, ...] = ()
    attendance_taken: bool = True

    def add(self, status: str, member: str) -> None:
        """Put ``member`` under ``status`` (each is a set, kept as a tuple: a third the size)."""
        bucket = getattr(self, status)
        if member not in bucket:
            setattr(self, status, (*bucket, member))

    def discard(self, status: str, member: str) -> bool:
        """Take ``member`` out of ``status``; True if it was there."""
        bucket = getattr(self, status)
        if member not in bucket:
            return False
        setattr(self, status, tuple(m for m in bucket if m != member))
        return True


@dataclass(slots=True)
class MemberState:
    """One member's place in one group and their engagement there."""

    role: str
    joined_at: datetime
    left_at: datetime | None = None
    present: int = 0
    absent: int = 0
    excused: int = 0
    last_seen: datetime | None = None
    lapsed: bool = False
    made: int = 0
    kept: int = 0
    missed: int = 0
    dropped: int = 0

    @property
    def active(self) -> bool:
        """Still in the group."""
        return self.left_at is None


@dataclass(slots=True)
class Window:
    """Commitments made at one session (window ``n`` = after the n-th held session)."""

    made: int = 0
    kept: int = 0
    missed: int = 0
    dropped: int = 0


@dataclass(slots=True)
class Episode:
    """The group's open flag episode (decision 0019): it began when the group entered
    ``at_risk`` and lasts until an outcome (:mod:`projections.outputs.episodes`)."""

    seq: int
    flagged_at: datetime
    intervention_at: datetime | None = None
    """The first intervention logged between the flag and the outcome, if any."""
    intervention_kind: str | None = None
    intervention_by: str | None = None
    interventions: int = 0


@dataclass(slots=True)
class GroupState:
    """Everything the projections know about one group."""

    group_id: str
    partition: int = 0
    seq: int = 0
    program_id: str = ""
    name: str = ""
    cadence: str = "weekly"
    coordinator_id: str | None = None
    formed_at: datetime | None = None
    status: str = "active"
    members: dict[str, MemberState] = field(default_factory=dict)
    facilitator_id: str | None = None
    facilitator_left: bool = False
    scheduled: dict[str, datetime] = field(default_factory=dict)
    recent: list[SessionRecord] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    held_count: int = 0
    cancelled_count: int = 0
    last_cancelled_at: datetime | None = None
    """When the latest cancellation was announced (a later scheduled session: a new date)."""
    last_held_at: datetime | None = None
    paused_until: datetime | None = None
    pause_reason: str = ""
    resumed_at: datetime | None = None
    windows: dict[int, Window] = field(default_factory=dict)
    open_commitments: dict[str, tuple[str, int]] = field(default_factory=dict)
    awaiting: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)
    """Commitments made for a session not held yet (its roll call arrives later):
    id -> (session id, window counted in meanwhile, outcome if settled meanwhile). When
    the session is held they move to its window, so arrival order does not matter."""
    commitments_made: int = 0
    last_mentor_check_in: datetime | None = None
    last_version: int = 0
    now: datetime | None = None
    level: str | None = None
    assessment: object | None = None
    transitions: int = 0
    level_since: datetime | None = None
    trend_week: str = ""
    counted_level: str | None = None
    due: datetime | None = None
    """When the group's own timeline is next judged without a new event (decision 0013)."""
    episode: Episode | None = None
    """The open flag episode, if the group is flagged now (decision 0019)."""
    episodes: int = 0
    """Flag episodes begun so far (the open one's ``seq``)."""

    @property
    def cadence_days(self) -> int:
        """Length of one cadence period in days (unknown cadence: weekly)."""
        return CADENCE_DAYS.get(self.cadence, 7)

    @property
    def period(self) -> timedelta:
        """One cadence period."""
        return timedelta(days=self.cadence_days)

    def active_members(self) -> dict[str, MemberState]:
        """Members who have not left."""
        return {m: s for m, s in self.members.items() if s.left_at is None}

    def active_count(self) -> int:
        """How many members have not left."""
        return sum(1 for s in self.members.values() if s.left_at is None)

    def is_paused(self, now: datetime) -> bool:
        """In a planned break at ``now``."""
        return self.paused_until is not None and now < self.paused_until

    def quiet_since(self, now: datetime) -> datetime | None:
        """Start of the current silence: last held session, forming, or end of a pause."""
        since = self.last_held_at or self.formed_at
        resumed, until = self.resumed_at, self.paused_until
        if resumed is not None and (since is None or resumed > since):
            since = resumed
        if until is not None and until <= now and (since is None or until > since):
            since = until
        return since

    def window(self, n: int) -> Window:
        """The commitment window ``n``, created on first use."""
        w = self.windows.get(n)
        if w is None:
            w = self.windows[n] = Window()
        return w


@dataclass(slots=True)
class ProgramState:
    """What the roll-ups know about one program (from its own events)."""

    program_id: str
    name: str = ""
    organisation: str = ""
    cadence: str = ""
    lapse_after: int = 3
    coordinators: set[str] = field(default_factory=set)
    lead_coordinator_id: str | None = None
    launched_at: datetime | None = None
    last_version: int = 0

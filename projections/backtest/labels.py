"""Hindsight labels from the events themselves: what became of each group.

A replay collects, per group, the few facts the labels need (:class:`Facts`); after the
stream, :func:`hindsight` labels every group as of the data's end:

- **dormant** ``DORMANT_PERIODS`` cadence periods after its last held session (or the end
  of its last planned pause, or its forming if it never met), if that is before the data's
  end; a silence the group came back from is not dormancy;
- **dissolved** / **concluded** when it ended before going dormant;
- **kept_meeting** when it held a session (or was in a planned pause) within
  ``KEPT_WITHIN_PERIODS`` of the end;
- **censored** otherwise: quiet at the end but not yet dormant (or never met), too
  recent to tell.

The cadence is the group's latest (amended details win over a provisional forming).
Each label also carries the longest silence the group came back from
(:func:`longest_quiet`): a non-dying group that came back after 3 periods without a
session or an announced pause was dormant by the definition above for a while, which no
detector showing dormancy can leave unflagged (the benchmark reports it apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from projections.fold.envelope import Envelope, parse_time
from projections.fold.handlers import HANDLERS
from projections.fold.state import CADENCE_DAYS

DORMANT_PERIODS = 3.0
"""Dormancy: this many cadence periods after the last held session (issue 13)."""
KEPT_WITHIN_PERIODS = 1.5
"""A group that held a session this recently before the data's end kept meeting."""
DYING, NON_DYING = ("dormant",), ("kept_meeting", "concluded")

P = "peerpulse."
_ENDED = {P + "group.dissolved.v1": "dissolved", P + "group.concluded.v1": "concluded"}


@dataclass
class GroupFacts:
    """What the labels need of one group's events."""

    program: str = ""
    cadence: str = "weekly"
    first_seen: datetime | None = None
    coordinator: str | None = None
    held: list[datetime] = field(default_factory=list)
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    ended: tuple[str, datetime] | None = None


@dataclass(frozen=True)
class Label:
    """One group's fate with hindsight: ``kind`` (see the module), when, and its context."""

    group: str
    kind: str
    at: datetime | None
    period: timedelta
    coordinator: str
    first_seen: datetime
    quiet: float = 0.0
    """The longest silence it came back from, in periods (:func:`longest_quiet`)."""


class Facts:
    """Collects :class:`GroupFacts` (and program coordinators) from a stream of events."""

    def __init__(self) -> None:
        self.groups: dict[str, GroupFacts] = {}
        self.leads: dict[str, str] = {}
        self.assigned: dict[str, set[str]] = {}
        self.last_time: datetime | None = None

    def see(self, ev: Envelope) -> None:
        """Take what matters from one event."""
        if ev.type.startswith(P + "program."):
            self._program(ev)
            return
        if ev.type not in HANDLERS:  # clock ticks; member (not group) events
            self.last_time = max(self.last_time or ev.time, ev.time)
            return
        g = self.groups.setdefault(ev.subject, GroupFacts())
        g.first_seen = min(g.first_seen or ev.time, ev.time)
        self.last_time = max(self.last_time or ev.time, ev.time)
        g.program = g.program or str(ev.data.get("program_id") or "")
        kind = ev.type.removeprefix(P)
        if kind in ("group.formed.v1", "group.details-amended.v1"):
            g.cadence = ev.data.get("cadence") or g.cadence
            g.coordinator = ev.data.get("coordinator_id") or g.coordinator
        elif kind == "session.held.v1":
            g.held.append(ev.time)
        elif kind == "group.paused.v1":
            g.pauses.append((ev.time, parse_time(ev.data["until"])))
        elif kind == "group.resumed.v1" and g.pauses and g.pauses[-1][1] > ev.time:
            g.pauses[-1] = (g.pauses[-1][0], ev.time)
        elif ev.type in _ENDED and g.ended is None:
            g.ended = (_ENDED[ev.type], ev.time)

    def _program(self, ev: Envelope) -> None:
        coordinator = str(ev.data.get("coordinator_id") or "")
        if ev.type.endswith("lead-coordinator-set.v1"):
            self.leads[ev.subject] = coordinator
        elif ev.type.endswith("coordinator-assigned.v1"):
            self.assigned.setdefault(ev.subject, set()).add(coordinator)

    def coordinator_of(self, g: GroupFacts) -> str:
        """Who receives the group's alerts: its own coordinator, else its program's lead,
        else the program's first assigned coordinator, else the program itself."""
        if g.coordinator:
            return str(g.coordinator)
        if g.program in self.leads:
            return self.leads[g.program]
        assigned = sorted(self.assigned.get(g.program, ()))
        return assigned[0] if assigned else f"program:{g.program}"


def last_sign_of_life(g: GroupFacts, end: datetime) -> datetime:
    """The group's last held session, the end of its latest planned pause (possibly after
    ``end``: it is still pausing), or its forming if neither came before ``end``."""
    assert g.first_seen is not None
    return max([g.first_seen, *(t for t in g.held if t <= end),
                *(until for start, until in g.pauses if start <= end)])  # fmt: skip


def dormant_at(g: GroupFacts, period: timedelta, end: datetime) -> datetime | None:
    """``DORMANT_PERIODS`` after the group's last sign of life, when that is before
    ``end``; else None. A silence the group came back from is not dormancy."""
    at = last_sign_of_life(g, end) + DORMANT_PERIODS * period
    return at if at <= end else None


def longest_quiet(g: GroupFacts, period: timedelta, start: datetime, end: datetime) -> float:
    """The longest silence, in cadence periods, that ended inside ``[start, end]`` with a
    sign of life (a held session or the start of a planned pause): a silence the group
    came back from. A planned pause is not silence; the silence still running at ``end``
    is not counted (it has not ended)."""
    if g.first_seen is None:
        return 0.0
    alive = sorted([(t, t) for t in g.held if t <= end]
                   + [(a, b) for a, b in g.pauses if a <= end])  # fmt: skip
    longest, last = 0.0, g.first_seen
    for begin, until in alive:
        if begin > last:
            if begin >= start:
                longest = max(longest, (begin - last) / period)
            last = begin
        last = max(last, until)
    return longest


def hindsight(facts: Facts, end: datetime | None = None) -> dict[str, Label]:
    """Every group's label as of ``end`` (default: the stream's last event time)."""
    end = end or facts.last_time
    out: dict[str, Label] = {}
    if end is None:
        return out
    for group, g in facts.groups.items():
        if g.first_seen is None or g.first_seen > end:
            continue
        period = timedelta(days=CADENCE_DAYS.get(g.cadence, 7))
        dormant = dormant_at(g, period, end)
        ended = g.ended if g.ended and g.ended[1] <= end else None
        if dormant is not None and (ended is None or dormant < ended[1]):
            kind, at = "dormant", dormant
        elif ended is not None:
            kind, at = ended
        else:
            alive = end - last_sign_of_life(g, end) <= KEPT_WITHIN_PERIODS * period
            kind = "kept_meeting" if alive and (g.held or g.pauses) else "censored"
            at = None
        quiet = longest_quiet(g, period, g.first_seen, end)
        out[group] = Label(group, kind, at, period, facts.coordinator_of(g), g.first_seen, quiet)
    return out

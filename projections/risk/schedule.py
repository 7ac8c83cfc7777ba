"""Each group's own assessment timeline on the 6-hour tick grid (decisions 0013, 0017).

``assess(state, now, policy)`` depends on ``now`` only through the pause (``now <
paused_until``), the silence since ``quiet_since`` (the ``silence``/``never_met`` features,
whose value and text move with time, and dormancy) and the persistence marks (a level
change waits for ``raise_after_hours`` / ``withdraw_after_hours``). So after an assessment
at ``now`` the result is provably the same at any later time until the first of:

* the pause ends (``paused_until``), if the group is paused; else
* the silence passes the group's own usual gap (1 period if it never met); from then on
  the probability moves with time, so the group is judged at every grid time;
* a session on the calendar comes (or goes unheld a day past its time: a no-show);
* a level change the marks wait for falls due.

A ``dormant`` group's level cannot change without an event, so it is restated daily
(``DORMANT_EVERY``) rather than at every grid time.

:func:`due_at` turns that into the group's **due** time: the first 6-hour boundary (the
grid clock ticks are stamped on, UTC from the epoch) at or after it. A group is judged at
its due time by whichever comes first: a clock tick at or past it, or one of the group's
own events at or past it (judged *before* that event is applied, as a tick would have).
That makes every group's timeline a function of its own events, the policy and the grid
alone, however its events and the ticks interleave. Ended groups have no due time.
:class:`Wakeups` keeps, per partition, a heap of due times for the ticks.
"""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta

from projections.fold.state import GroupState
from projections.risk.levels import NO_MARKS, pending
from projections.risk.rhythm import calendar_changes, usual_gap
from projections.risk.thresholds import DORMANT, HEALTHY, RiskPolicy

TICK_EVERY = timedelta(hours=6)
"""The tick grid (``domain.clock.TICK_EVERY``; ticks travel on the public contract)."""
MARGIN = timedelta(seconds=1)
"""Wake a little early: float rounding in the period arithmetic can never make us late."""
DORMANT_EVERY = timedelta(days=1)
"""A dormant group's silence is restated daily (its level cannot change without an event)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def grid_at_or_after(t: datetime) -> datetime:
    """The first tick boundary at or after ``t``."""
    steps, rest = divmod(t - _EPOCH, TICK_EVERY)
    return _EPOCH + (steps + (1 if rest else 0)) * TICK_EVERY


def grid_after(t: datetime) -> datetime:
    """The first tick boundary strictly after ``t``."""
    return _EPOCH + ((t - _EPOCH) // TICK_EVERY + 1) * TICK_EVERY


def due_at(
    s: GroupState, now: datetime, policy: RiskPolicy, judged: object | None = None
) -> datetime | None:
    """The grid time after ``now`` at which ``assess(s, ·)`` may first differ from
    ``judged`` (the assessment at ``now``; always later than ``now``), or None: never,
    until the next event."""
    if s.status != "active":
        return None
    if s.is_paused(now):
        return grid_at_or_after(s.paused_until)
    if getattr(judged, "level", None) == DORMANT:
        return grid_at_or_after(now + DORMANT_EVERY)
    times = []
    since = s.quiet_since(now)
    if since is not None:
        usual = getattr(judged, "usual_gap", None) or usual_gap(s, policy)
        if s.last_held_at is None or since == s.formed_at:
            usual = 1.0
        at = since + timedelta(days=s.cadence_days * usual) - MARGIN
        if at <= now:
            return grid_after(now)  # the silence moves p: the earliest time there is
        times.append(at)
    moves = calendar_changes(s, now)
    if moves is not None:
        times.append(moves)
    marks = getattr(judged, "marks", NO_MARKS)
    waiting = pending(marks, getattr(judged, "level", HEALTHY), policy)
    if waiting is not None:
        times.append(waiting)
    if not times:
        return None
    at = min(times)
    return grid_after(now) if at <= now else grid_at_or_after(at)


class Wakeups:
    """Per-partition heap of the groups' due times, for clock ticks."""

    __slots__ = ("heap",)

    def __init__(self) -> None:
        self.heap: list[tuple[datetime, int, str]] = []

    def schedule(self, s: GroupState, due: datetime | None) -> None:
        """Set the group's due time (None: not due until its next event)."""
        if due is not None and due != s.due:
            heapq.heappush(self.heap, (due, s.seq, s.group_id))
        s.due = due

    def take(self, at: datetime, groups: dict[str, GroupState]) -> list[GroupState]:
        """The groups due at or before ``at``, in first-seen order (superseded entries of
        the heap are dropped on the way)."""
        heap, found = self.heap, {}
        while heap and heap[0][0] <= at:
            when, _, gid = heapq.heappop(heap)
            s = groups[gid]
            if s.due is not None and s.due <= at:
                found[gid] = s
        return sorted(found.values(), key=_seq)


def _seq(s: GroupState) -> int:
    return s.seq

"""Each group's own assessment timeline on the 6-hour tick grid (decision 0013).

``assess(state, now, policy)`` depends on ``now`` only through the pause (``now <
paused_until``) and the silence since ``quiet_since`` (the cadence-gap signal, whose text
names the days and periods, and dormancy). So after an assessment at ``now`` the result
is provably the same at any later time until:

* the pause ends (``paused_until``), if the group is paused; else
* the silence reaches the first period threshold that can fire (the lowest weighted
  ``gap_steps`` bound, or ``dormant_after_periods``); from then on the reason text moves
  with time, so the group is judged at every grid time.

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
from projections.risk.thresholds import RiskPolicy

TICK_EVERY = timedelta(hours=6)
"""The tick grid (``domain.clock.TICK_EVERY``; ticks travel on the public contract)."""
MARGIN = timedelta(seconds=1)
"""Wake a little early: float rounding in the period arithmetic can never make us late."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def grid_at_or_after(t: datetime) -> datetime:
    """The first tick boundary at or after ``t``."""
    steps, rest = divmod(t - _EPOCH, TICK_EVERY)
    return _EPOCH + (steps + (1 if rest else 0)) * TICK_EVERY


def grid_after(t: datetime) -> datetime:
    """The first tick boundary strictly after ``t``."""
    return _EPOCH + ((t - _EPOCH) // TICK_EVERY + 1) * TICK_EVERY


def threshold_periods(policy: RiskPolicy) -> float:
    """Silence (in cadence periods) from which ``assess`` changes with time."""
    steps = (*policy.gap_steps, *policy.never_met_steps)
    bounds = [bound for bound, weight in steps if weight > 0]
    return min([*bounds, policy.dormant_after_periods])


def due_at(s: GroupState, now: datetime, policy: RiskPolicy) -> datetime | None:
    """The grid time after ``now`` at which ``assess(s, ·)`` may first differ from
    ``assess(s, now)`` (always later than ``now``), or None: never, until the next event."""
    if s.status != "active":
        return None
    if s.is_paused(now):
        return grid_at_or_after(s.paused_until)
    since = s.quiet_since(now)
    if since is None:
        return None
    at = since + timedelta(days=s.cadence_days * threshold_periods(policy)) - MARGIN
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

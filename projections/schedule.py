"""When a group's assessment can next change without a new event: tick work only where needed.

``assess(state, now, policy)`` depends on ``now`` only through the pause (``now <
paused_until``), the silence since ``quiet_since`` (the cadence-gap signal, whose text
names the days and periods, and dormancy). So after an assessment the result is provably
the same at any later ``now`` until:

* the pause ends (``paused_until``), if the group is paused; else
* the silence reaches the first period threshold that can fire (the lowest weighted
  ``gap_steps`` bound, or ``dormant_after_periods``); from then on the reason text moves
  with every tick, so the group is reassessed at every tick.

Ended groups are never reassessed by ticks. :class:`Wakeups` keeps, per partition, the
groups due at the next tick (stale after a quiet event, or with silence already past the
threshold) and a heap of future wake-up times; ticks reassess exactly those, in the
groups' first-seen order, which gives the same outputs as reassessing every group.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from projections.model import GroupState
from projections.policy import RiskPolicy

MARGIN = timedelta(seconds=1)
"""Wake a little early: float rounding in the period arithmetic can never make us late."""
NOW = "now"


def threshold_periods(policy: RiskPolicy) -> float:
    """Silence (in cadence periods) from which ``assess`` changes with time."""
    bounds = [bound for bound, weight in policy.gap_steps if weight > 0]
    return min([*bounds, policy.dormant_after_periods])


def wake_at(s: GroupState, now: datetime, policy: RiskPolicy) -> datetime | str | None:
    """When ``assess(s, t)`` may first differ from ``assess(s, now)`` for ``t > now``:
    a time, :data:`NOW` (every tick), or None (never, until the next event)."""
    if s.status != "active":
        return None
    if s.is_paused(now):
        return s.paused_until
    since = s.quiet_since(now)
    if since is None:
        return None
    at = since + timedelta(days=s.cadence_days * threshold_periods(policy)) - MARGIN
    return NOW if at <= now else at


class Wakeups:
    """Per-partition bookkeeping of which groups a tick must reassess."""

    __slots__ = ("due", "heap", "wake")

    def __init__(self) -> None:
        self.due: dict[str, GroupState] = {}
        self.heap: list[tuple[datetime, int, str]] = []
        self.wake: dict[str, datetime] = {}

    def stale(self, s: GroupState) -> None:
        """The group changed without an assessment: reassess at the next tick."""
        self.due[s.group_id] = s

    def schedule(self, s: GroupState, when: datetime | str | None) -> None:
        """Record the result of :func:`wake_at` for a just-assessed group."""
        gid = s.group_id
        self.due.pop(gid, None)
        if when is None:
            self.wake.pop(gid, None)
        elif when == NOW:
            self.wake.pop(gid, None)
            self.due[gid] = s
        elif self.wake.get(gid) != when:
            self.wake[gid] = when
            heapq.heappush(self.heap, (when, s.seq, gid))

    def take(self, at: datetime, groups: dict[str, GroupState]) -> list[GroupState]:
        """The groups to reassess at a tick at ``at``, in first-seen order."""
        heap, due = self.heap, self.due
        while heap and heap[0][0] <= at:
            when, _, gid = heapq.heappop(heap)
            if self.wake.get(gid) == when:
                del self.wake[gid]
                due[gid] = groups[gid]
        self.due = {}
        return sorted(due.values(), key=_seq)


def _seq(s: GroupState) -> int:
    return s.seq

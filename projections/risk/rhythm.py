"""Risk signals about a group's meeting rhythm and its start (decision 0005).

* :func:`skipped_sessions` — the group still meets, but less often than its cadence:
  "Met 3 times in the last 6 weekly slots (3 skipped or cancelled)". Counted up to the
  latest held session, so it does not depend on ``now`` and a single good session does
  not wipe out the skips before it.
* :func:`weak_start` — a young group (few sessions) that most of its roster has never
  attended: "Only 2 of 5 members have come to any of its first 2 sessions".

Both are pure functions of ``(state, now, policy)`` returning a :class:`Reason` or None.
"""

from __future__ import annotations

from datetime import datetime

from projections.fold.state import GroupState
from projections.risk.thresholds import Reason, RiskPolicy


def _window_start(s: GroupState, times: list[datetime], p: RiskPolicy) -> datetime | None:
    """Start of the skip window ending at the latest session: ``skip_window`` slots back
    (with ``skip_slack`` of a period for rescheduled sessions), or None for a full window;
    a group that began, or came back from a pause, inside it is counted from its first
    session."""
    last = times[-1]
    start, full = last - (p.skip_window - 1 + p.skip_slack) * s.period, True
    for back in (s.resumed_at, s.paused_until):
        if back is not None and start < back <= last:
            start, full = back, False
    if s.held_count == len(times) and times[0] > start:
        start, full = times[0], False
    return None if full else start


def skipped_sessions(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """Sessions the cadence expected in the last ``skip_window`` slots that were not held."""
    if not s.recent:
        return None
    times = sorted(r.at for r in s.recent)
    start = _window_start(s, times, p)
    if start is None:
        expected = p.skip_window
        reach = (p.skip_window - 1 + p.skip_slack) * s.period
        held = sum(1 for t in times if t > times[-1] - reach)
    else:
        first = next(t for t in times if t >= start)
        expected = int((times[-1] - first) / s.period + 1 - p.skip_slack) + 1
        held = sum(1 for t in times if t >= first)
    if expected < p.skip_min_expected:
        return None
    missed = max(0, expected - held)
    weight = max((w for bound, w in p.skip_steps if missed / expected >= bound), default=0.0)
    if not weight:
        return None
    text = (
        f"Met {expected - missed} times in the last {expected} {s.cadence} slots"
        f" ({missed} skipped or cancelled)"
    )
    return Reason("sessions_skipped", text, weight)


def weak_start(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """A young group that at most ``weak_start_share`` of its members have ever attended."""
    if not 0 < s.held_count <= p.young_sessions:
        return None
    sessions = [r for r in s.recent if r.attendance_taken]
    members = [m for m, st in s.members.items() if st.left_at is None]
    if not sessions or len(members) < 3:
        return None
    attended = set().union(*(r.present for r in sessions))
    came = sum(1 for m in members if m in attended)
    if came > p.weak_start_share * len(members):
        return None
    if len(sessions) >= p.core_min_sessions and came < p.min_core:
        return None  # the small-core signal says it
    n, roster = s.held_count, len(members)
    text = (
        f"Only {came} of {roster} members came to its first session"
        if n == 1
        else f"Only {came} of {roster} members have come to any of its first {n} sessions"
    )
    return Reason("weak_start", text, p.weak_start_weight)

"""The group's own meeting rhythm, and the silence judged against it (decision 0017).

A group's **usual gap** is the mean plus one standard deviation of the gaps between its
recent held sessions before the last three (all of them while it has few), in cadence
periods (at least 1; 1 until it has a few gaps): a group
that met every week has a usual gap near 1.1, one that skips a week in three near 1.8. The
``silence`` feature is the silence beyond that usual gap, so the same 2 weeks without a
session say more about the first group than about the second. Gaps across a pause are
not part of the rhythm.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from projections.fold.state import GroupState
from projections.risk.thresholds import Evidence, RiskPolicy


def gaps(s: GroupState) -> list[float]:
    """Periods between consecutive recent held sessions (gaps spanning a pause left out)."""
    times = sorted(r.at for r in s.recent)
    days = s.cadence_days * 86400
    back = [t for t in (s.resumed_at, s.paused_until) if t is not None]
    return [
        (b - a).total_seconds() / days
        for a, b in zip(times, times[1:], strict=False)
        if not any(a < t <= b for t in back)
    ]


def usual_gap(s: GroupState, p: RiskPolicy) -> float:
    """The group's usual gap between sessions, in periods (mean + 1 sd, at least 1)."""
    found = gaps(s)
    if len(found) >= p.baseline_min_gaps + p.recent_sessions:
        found = found[: -p.recent_sessions]  # a fading rhythm must not become the baseline
    n = len(found)
    if n < p.baseline_min_gaps:
        return 1.0
    mean = sum(found) / n
    sd = math.sqrt(max(0.0, sum(g * g for g in found) / n - mean * mean))
    return max(1.0, mean + sd)


def silence_periods(state: GroupState, now: datetime) -> float | None:
    """Cadence periods since the group last met (or formed, or came back from a pause)."""
    since = state.quiet_since(now)
    if since is None:
        return None
    return max(0.0, (now - since).total_seconds() / (state.cadence_days * 86400))


def baseline(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence:
    """The group's usual gap as a timeless item (kept between events with the features;
    no coefficient, so never a reason of its own)."""
    usual = usual_gap(s, p)
    return Evidence("usual_gap", usual, f"Usually at most {usual:.1f} periods between sessions")


def silence(
    s: GroupState, now: datetime, p: RiskPolicy, usual: float, declining: str = ""
) -> list[Evidence]:
    """The timed features: silence beyond the usual gap (or since forming; after a pause,
    since its end), and the same silence again when it follows signs of decline
    (``declining`` names them): a group on an unannounced break shows none."""
    since = s.quiet_since(now)
    if since is None:
        return []
    seconds = (now - since).total_seconds()
    periods = max(0.0, seconds / (s.cadence_days * 86400))
    never_met = s.last_held_at is None or since == s.formed_at
    if periods <= (1.0 if never_met else usual):
        return []  # before any text is made: most judgements end here
    days = int(seconds // 86400)
    tail = f"{s.cadence} cadence, {periods:.1f} periods"
    if never_met:
        text = f"No session since forming {days} days ago: {tail}"
        return [Evidence("never_met", periods - 1.0, text)]
    text = f"No session for {days} days: {tail} (usually at most {usual:.1f} between sessions)"
    found = [Evidence("silence", periods - usual, text)]
    if declining:
        text = f"The silence follows signs of decline ({declining})"
        found.append(Evidence("silence_after_decline", periods - usual, text))
    return found


NO_SHOW_AFTER = timedelta(days=4)
"""A scheduled session neither held nor cancelled this long after its time is a no-show.
As long as the arrival window ingest tolerates (decision 0015: roll calls come late from
independent systems), so a roll call still on its way is never taken for a no-show."""


def calendar(s: GroupState, now: datetime) -> list[Evidence]:
    """The timed calendar features: a session on the calendar ahead (the group still plans
    to meet: evidence of life), and sessions on the calendar since the last one that were
    neither held nor cancelled (no-shows)."""
    if not s.scheduled:
        return []
    ahead, missed, last = None, 0, s.last_held_at or s.formed_at
    for at in s.scheduled.values():
        if at > now:
            ahead = at if ahead is None or at < ahead else ahead
        elif last is not None and at > last and at + NO_SHOW_AFTER <= now:
            missed += 1
    found = []
    if ahead is not None:
        found.append(Evidence("on_calendar", 1.0, f"Next session on the calendar: {ahead:%d %b}"))
    if missed:
        noun = "session" if missed == 1 else "sessions"
        text = f"{missed} scheduled {noun} since the last one neither held nor cancelled"
        found.append(Evidence("no_shows", min(missed, 3), text))
    return found


def calendar_changes(s: GroupState, now: datetime) -> datetime | None:
    """The first time after ``now`` at which :func:`calendar` may change by itself."""
    if not s.scheduled:
        return None
    last = s.last_held_at or s.formed_at
    times = [at for at in s.scheduled.values() if at > now]
    times += [
        at + NO_SHOW_AFTER
        for at in s.scheduled.values()
        if (last is None or at > last) and at + NO_SHOW_AFTER > now
    ]
    return min(times, default=None)

"""The risk signals: each looks at one aspect of a group and may return a :class:`Reason`.

Every reason's text carries its evidence in words a coordinator understands, e.g.
"No session for 19 days: weekly cadence, 2.7 periods". Signals are pure functions of
``(state, now, policy)``; :data:`SIGNALS` lists them in a fixed order (the meeting-rhythm
and new-group signals live in :mod:`projections.risk.rhythm`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from projections.fold.state import GroupState, SessionRecord
from projections.risk.rhythm import skipped_sessions, weak_start
from projections.risk.thresholds import Reason, RiskPolicy

Signal = Callable[[GroupState, datetime, RiskPolicy], Reason | None]


def silence_periods(state: GroupState, now: datetime) -> float | None:
    """Cadence periods since the group last met (or formed, or came back from a pause)."""
    since = state.quiet_since(now)
    if since is None:
        return None
    return max(0.0, (now - since).total_seconds() / (state.cadence_days * 86400))


def _step(value: float, steps: tuple[tuple[float, float], ...], rising: bool = True) -> float:
    """Weight of the strongest step reached (``rising``: value >= bound, else <=)."""
    best = None
    for bound, w in steps:
        if (value >= bound if rising else value <= bound) and (best is None or w > best):
            best = w
    return 0.0 if best is None else best


def cadence_gap(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """Time since the last held session, in cadence periods (or since forming)."""
    periods = silence_periods(s, now)
    since = s.quiet_since(now)
    never_met = s.last_held_at is None or since == s.formed_at
    weight = _step(periods or 0.0, p.never_met_steps if never_met else p.gap_steps)
    if not weight:
        return None
    days = int((now - since).total_seconds() // 86400)
    tail = f"{s.cadence} cadence, {periods:.1f} periods"
    if never_met:
        return Reason("never_met", f"No session since forming {days} days ago: {tail}", weight)
    if since != s.last_held_at:
        return Reason("cadence_gap", f"No session for {days} days since the pause: {tail}", weight)
    return Reason("cadence_gap", f"No session for {days} days: {tail}", weight)


def _taken(s: GroupState) -> list[SessionRecord]:
    return [r for r in s.recent if r.attendance_taken]


def attendance_trend(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """Mean attendance of the last sessions against the group's own earlier sessions."""
    sessions = _taken(s)
    if len(sessions) < p.recent_sessions + p.baseline_min_sessions:
        return None
    recent, earlier = sessions[-p.recent_sessions :], sessions[: -p.recent_sessions]
    now_mean = sum(len(r.present) for r in recent) / len(recent)
    base = sum(len(r.present) for r in earlier) / len(earlier)
    if base <= 0:
        return None
    weight = _step(now_mean / base, p.attendance_steps, rising=False)
    if not weight:
        return None
    text = (
        f"Attendance fell to {now_mean:.1f} per session over the last {len(recent)} sessions,"
        f" from {base:.1f} before"
    )
    return Reason("attendance_falling", text, weight)


def active_core(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """Members who attended any of the last few sessions, when fewer than ``min_core``."""
    sessions = _taken(s)[-p.recent_sessions :]
    if len(sessions) < p.core_min_sessions:
        return None
    members = [m for m, st in s.members.items() if st.left_at is None]
    attended = set().union(*(r.present for r in sessions))
    core = sum(1 for m in members if m in attended)
    if core >= p.min_core or not members:
        return None
    weight = p.core_collapsed_weight if core <= 1 else p.core_weight
    text = (
        f"Only {core} of {len(members)} members attended any of the last {len(sessions)} sessions"
    )
    return Reason("small_core", text, weight)


def lapsed_members(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """Share of current members who have lapsed."""
    members = [st for st in s.members.values() if st.left_at is None]
    lapsed = sum(1 for m in members if m.lapsed)
    if not lapsed:
        return None
    heavy = lapsed / len(members) >= p.lapsed_share
    weight = p.lapsed_share_weight if heavy else p.any_lapsed_weight
    noun = "member has" if lapsed == 1 else "members have"
    return Reason("members_lapsed", f"{lapsed} of {len(members)} {noun} lapsed", weight)


def commitments_made(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """No commitments in the last sessions (heavier when it lasts), or far fewer than the
    group's own earlier sessions, in a group that used to make them."""
    n, k = s.held_count, p.commitment_sessions
    if n < k or s.commitments_made == 0:
        return None
    made = [s.windows[i].made if i in s.windows else 0 for i in range(n - 5, n + 1) if i > 0]
    quiet = next((i for i, m in enumerate(reversed(made)) if m), len(made))
    if quiet >= p.long_commitment_sessions:
        text = f"No commitments made in the last {quiet} sessions"
        return Reason("no_commitments", text, p.no_commitments_long_weight)
    if quiet >= k:
        return Reason(
            "no_commitments",
            f"No commitments made in the last {quiet} sessions",
            p.no_commitments_weight,
        )
    return _commitments_falling(s, p)


def _commitments_falling(s: GroupState, p: RiskPolicy) -> Reason | None:
    """Commitments per member present, last sessions against the group's earlier ones."""
    rates = [
        (s.windows[r.ordinal].made if r.ordinal in s.windows else 0, len(r.present))
        for r in s.recent
        if r.attendance_taken and r.present and r.ordinal > s.held_count - 6
    ]
    recent, earlier = rates[-p.recent_sessions :], rates[: -p.recent_sessions]
    if len(earlier) < p.baseline_min_sessions:
        return None
    now_rate = sum(m for m, _ in recent) / sum(n for _, n in recent)
    base = sum(m for m, _ in earlier) / sum(n for _, n in earlier)
    if base <= 0 or now_rate > p.commitments_falling_ratio * base:
        return None
    text = (
        f"Members present made {now_rate:.1f} commitments each over the last"
        f" {len(recent)} sessions, down from {base:.1f}"
    )
    return Reason("commitments_falling", text, p.commitments_falling_weight)


def commitments_kept(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """Few commitments kept among those resolved from the last sessions."""
    n = s.held_count
    ws = [s.windows[i] for i in range(n - p.recent_sessions + 1, n + 1) if i in s.windows]
    kept = sum(w.kept for w in ws)
    resolved = kept + sum(w.missed + w.dropped for w in ws)
    if resolved < p.kept_min_resolved or kept / resolved >= p.kept_ratio:
        return None
    text = f"Only {kept} of {resolved} commitments from the last {p.recent_sessions} sessions kept"
    return Reason("commitments_not_kept", text, p.low_kept_weight)


def cancellations(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """Several of the latest sessions were cancelled rather than held."""
    window = s.outcomes[-p.cancel_window :]
    cancelled = window.count("cancelled")
    if cancelled < p.cancel_min:
        return None
    text = f"{cancelled} of the last {len(window)} sessions were cancelled"
    return Reason("cancellations", text, p.cancel_weight)


def facilitator(s: GroupState, now: datetime, p: RiskPolicy) -> Reason | None:
    """The facilitator lapsed, or left with nobody taking over."""
    f = s.members.get(s.facilitator_id) if s.facilitator_id else None
    if f is not None and f.lapsed:
        weight = p.facilitator_lapsed_weight
        return Reason("facilitator_lapsed", "The facilitator has lapsed", weight)
    if s.facilitator_left:
        text = "The facilitator left and nobody has taken over"
        return Reason("facilitator_left", text, p.facilitator_left_weight)
    return None


def quiet_note(s: GroupState) -> Reason:
    """The note a paused group carries instead of risk reasons."""
    until = s.paused_until.date().isoformat() if s.paused_until else "further notice"
    why = f" ({s.pause_reason})" if s.pause_reason else ""
    return Reason("paused", f"Paused until {until}{why}", 0.0)


TIMED: tuple[Signal, ...] = (cadence_gap,)
"""The signals that depend on ``now`` (see :mod:`projections.risk.schedule`)."""
TIMELESS: tuple[Signal, ...] = (
    skipped_sessions,
    weak_start,
    attendance_trend,
    active_core,
    lapsed_members,
    commitments_made,
    commitments_kept,
    cancellations,
    facilitator,
)
"""The signals that depend only on the state: the same until the next applied event."""
COMMITMENT_SIGNALS: tuple[Signal, ...] = (commitments_made, commitments_kept)
"""The timeless signals that read commitment windows and counters. The other timeless
signals read none of what a :data:`NARROW_TYPES` event changes."""
NARROW_TYPES = frozenset(
    f"peerpulse.{t}.v1"
    for t in (
        "commitment.made",
        "commitment.amended",
        "commitment.kept",
        "commitment.missed",
        "commitment.dropped",
    )
)
"""Group events whose handlers change only commitment windows, open commitments and
commitment counters (``handlers._made``, ``_amended``, ``_resolver``): nothing a timeless
signal outside :data:`COMMITMENT_SIGNALS` reads."""
NEUTRAL_TYPES = frozenset({"peerpulse.session.scheduled.v1"})
"""Group events whose handlers change nothing a timeless signal reads (the schedule)."""
SIGNALS: tuple[Signal, ...] = TIMED + TIMELESS

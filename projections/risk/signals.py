"""The timeless features: each reads one aspect of a group's state (never ``now``) and may
return :class:`Evidence` — a value in the feature's scale and its evidence in plain words,
e.g. "Attendance fell to 2.0 per session over the last 3 sessions, from 4.3 before".

Every comparison is against the group's own history (attendance, commitments and rhythm
against its earlier sessions), so a small group that always sees three people is fine
and a group of six now seeing three is not. :data:`TIMELESS` lists them in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from projections.fold.state import GroupState, SessionRecord
from projections.risk.rhythm import baseline
from projections.risk.thresholds import Evidence, RiskPolicy

Feature = Callable[[GroupState, datetime | None, RiskPolicy], Evidence | None]


def _taken(s: GroupState) -> list[SessionRecord]:
    return [r for r in s.recent if r.attendance_taken]


def attendance_falling(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence | None:
    """Mean attendance of the last sessions against the group's own earlier sessions."""
    sessions = _taken(s)
    if len(sessions) < p.recent_sessions + p.baseline_min_sessions:
        return None
    recent, earlier = sessions[-p.recent_sessions :], sessions[: -p.recent_sessions]
    now_mean = sum(len(r.present) for r in recent) / len(recent)
    base = sum(len(r.present) for r in earlier) / len(earlier)
    if base <= 0 or now_mean >= 0.9 * base:
        return None
    text = (
        f"Attendance fell to {now_mean:.1f} per session over the last {len(recent)} sessions,"
        f" from {base:.1f} before"
    )
    return Evidence("attendance_falling", 1 - now_mean / base, text)


def commitments_falling(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence | None:
    """Sessions in a row without commitments (up to 3), in a group that makes them."""
    n = s.held_count
    if n < 2 or s.commitments_made == 0:
        return None
    made = [s.windows[i].made if i in s.windows else 0 for i in range(n - 3, n + 1) if i > 0]
    quiet = next((i for i, m in enumerate(reversed(made)) if m), len(made))
    if not quiet:
        return None
    noun = "session" if quiet == 1 else f"{quiet} sessions"
    return Evidence(
        "commitments_falling", min(quiet, 3) / 3, f"No commitments made in the last {noun}"
    )


def members_lapsed(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence | None:
    """Share of current members who have lapsed."""
    members = [st for st in s.members.values() if st.left_at is None]
    lapsed = sum(1 for m in members if m.lapsed)
    if not lapsed:
        return None
    verb = "has" if lapsed == 1 else "have"
    text = f"{lapsed} of {len(members)} members {verb} lapsed"
    return Evidence("members_lapsed", lapsed / len(members), text)


def members_left(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence | None:
    """Share of everyone who ever joined that has left (and was not replaced)."""
    left = sum(1 for st in s.members.values() if st.left_at is not None)
    if not left:
        return None
    share = left / len(s.members)
    return Evidence("members_left", share, f"{left} of {len(s.members)} members have left")


def weak_start(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence | None:
    """A young group that much of its roster has never attended."""
    if not 0 < s.held_count <= p.young_sessions:
        return None
    sessions = _taken(s)
    members = [m for m, st in s.members.items() if st.left_at is None]
    if not sessions or len(members) < 3:
        return None
    attended = set().union(*(r.present for r in sessions))
    came = sum(1 for m in members if m in attended)
    if came >= len(members):
        return None
    n, roster = s.held_count, len(members)
    text = (
        f"Only {came} of {roster} members came to its first session"
        if n == 1
        else f"Only {came} of {roster} members have come to any of its first {n} sessions"
    )
    return Evidence("weak_start", 1 - came / roster, text)


def cancellations(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence | None:
    """Cancellations among the latest sessions with no new date set after them. One with
    a new date is communication, not risk: the new date is on the calendar (evidence of
    life, :func:`~projections.risk.rhythm.calendar`)."""
    window = s.outcomes[-p.cancel_window :]
    cancelled = window.count("cancelled")
    at = getattr(s, "last_cancelled_at", None)  # None in a state stored before it existed
    if not cancelled or at is None or any(t > at for t in s.scheduled.values()):
        return None
    verb = "was" if cancelled == 1 else "were"
    text = f"{cancelled} of the last {len(window)} sessions {verb} cancelled, with no new date"
    return Evidence("cancelled_no_date", cancelled, text)


def facilitator_gone(s: GroupState, now: datetime | None, p: RiskPolicy) -> Evidence | None:
    """The facilitator lapsed, or left with nobody taking over."""
    f = s.members.get(s.facilitator_id) if s.facilitator_id else None
    if f is not None and f.lapsed:
        return Evidence("facilitator_gone", 1.0, "The facilitator has lapsed")
    if s.facilitator_left:
        return Evidence("facilitator_gone", 1.0, "The facilitator left and nobody has taken over")
    return None


TIMELESS: tuple[Feature, ...] = (
    baseline,
    attendance_falling,
    commitments_falling,
    members_lapsed,
    members_left,
    weak_start,
    cancellations,
    facilitator_gone,
)
"""The features that depend only on the state: the same until the next applied event."""
COMMITMENT_SIGNALS: tuple[Feature, ...] = (commitments_falling,)
"""The timeless features that read commitment windows and counters."""
NARROW: dict[str, tuple[Feature, ...]] = {
    **{
        f"peerpulse.{t}.v1": COMMITMENT_SIGNALS
        for t in (
            "commitment.made",
            "commitment.amended",
            "commitment.kept",
            "commitment.missed",
            "commitment.dropped",
        )
    },
    "peerpulse.session.scheduled.v1": (cancellations,),
}
"""Group events whose handlers change what only some timeless features read: the
commitment events change only commitment windows, open commitments and counters
(``handlers._made``, ``_amended``, ``_resolver``); ``session.scheduled`` only the
calendar (a new date after a cancellation). After them only those features are recomputed."""
NARROW_TYPES = frozenset(NARROW)
NEUTRAL_TYPES: frozenset[str] = frozenset({"peerpulse.intervention.logged.v1"})
"""Group events whose handlers change nothing a timeless feature reads: an intervention
only touches the flag episode (a merge or an end follows as its own event)."""

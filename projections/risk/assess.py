"""The risk model: ``assess(state, now, policy) -> Assessment`` (decision 0017).

The probability that the group goes dormant within the next 3 cadence periods comes from a
logistic model (:mod:`.model`) over features judged against the group's own history
(:mod:`.signals`, :mod:`.rhythm`); the level comes from that probability with persistence
(:mod:`.levels`). Pure and deterministic: the same state, time and policy always give the
same assessment (the previous assessment in the state carries the persistence marks).
Dormancy is silence alone (:func:`is_dormant`); a paused or ended group is never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from projections.fold.state import GroupState
from projections.risk import levels
from projections.risk.levels import NO_MARKS, Marks
from projections.risk.model import probability, terms, weights
from projections.risk.rhythm import calendar, silence, silence_periods
from projections.risk.signals import TIMELESS
from projections.risk.thresholds import (
    AT_RISK,
    DEFAULT_POLICY,
    DORMANT,
    HEALTHY,
    LEVELS,
    WATCH,
    Evidence,
    Reason,
    RiskPolicy,
)

__all__ = [
    "AT_RISK",
    "DORMANT",
    "HEALTHY",
    "LEVELS",
    "WATCH",
    "Assessment",
    "Reason",
    "RiskPolicy",
    "assess",
    "is_dormant",
    "silence_periods",
    "timeless_reasons",
]


@dataclass(frozen=True, slots=True)
class Assessment:
    """A group's health at one moment: level, ``probability`` (P(the group goes dormant
    within the next 3 cadence periods), to two places; ``score`` is the same number, kept
    for readers of the old field), the reasons by contribution, the persistence marks and
    the usual gap."""

    level: str
    score: float
    reasons: tuple[Reason, ...] = ()
    probability: float = 0.0
    marks: Marks = NO_MARKS
    usual_gap: float = 1.0
    """The group's usual gap between sessions (periods), for :mod:`.schedule`."""

    def reasons_dicts(self) -> list[dict[str, object]]:
        """Reasons as plain dicts, largest contribution first."""
        return [r.to_dict() for r in self.reasons]


def is_dormant(state: GroupState, now: datetime, policy: RiskPolicy = DEFAULT_POLICY) -> bool:
    """Dormant: an active, unpaused group silent for ``dormant_after_periods`` or more.

    Silence runs from the latest of: last held session, forming (if it never met), the
    end of its latest pause. Cancelled sessions do not break the silence.
    """
    if state.status != "active" or state.is_paused(now):
        return False
    periods = silence_periods(state, now)
    return periods is not None and periods >= policy.dormant_after_periods


@dataclass(frozen=True, slots=True)
class Timeless:
    """What the timeless features say, summed once per state change: their evidence, their
    part of the log-odds (with the intercept) and their reasons, the usual gap, and the
    signs of decline."""

    evidence: tuple[Evidence, ...] = ()
    logit: float = 0.0
    reasons: tuple[Reason, ...] = ()
    usual_gap: float = 1.0
    declining: str = ""


def summarise(found: Iterable[Evidence | None], policy: RiskPolicy) -> Timeless:
    """The :class:`Timeless` summary of the timeless features' results."""
    evidence = tuple(e for e in found if e is not None)
    logit, reasons = terms(evidence, policy)
    logit += weights(policy).get("intercept", 0.0)
    usual = next((e.value for e in evidence if e.code == "usual_gap"), 1.0)
    declining = ", ".join(DECLINE[e.code] for e in evidence if e.code in DECLINE)
    return Timeless(evidence, logit, tuple(reasons), usual, declining)


def timeless_reasons(state: GroupState, policy: RiskPolicy = DEFAULT_POLICY) -> Timeless:
    """The features that do not depend on ``now`` (the same until the next event)."""
    return summarise((feature(state, None, policy) for feature in TIMELESS), policy)


def features(
    state: GroupState,
    now: datetime,
    policy: RiskPolicy = DEFAULT_POLICY,
    timeless: Timeless | None = None,
) -> list[Evidence]:
    """Every feature that fired for an active, unpaused group at ``now`` (the model's input)."""
    if timeless is None:
        timeless = timeless_reasons(state, policy)
    return [*timed(state, now, policy, timeless), *timeless.evidence]


def timed(
    state: GroupState, now: datetime, policy: RiskPolicy, timeless: Timeless
) -> list[Evidence]:
    """The features that move with ``now``: silence and the calendar."""
    quiet = silence(state, now, policy, timeless.usual_gap, timeless.declining)
    return [*quiet, *calendar(state, now)]


DECLINE = {
    "attendance_falling": "attendance",
    "commitments_falling": "commitments",
    "members_lapsed": "lapses",
    "members_left": "members leaving",
    "facilitator_gone": "facilitator",
    "weak_start": "a weak start",
    "cancelled_no_date": "cancellations",
}
"""The timeless features that count as signs of decline, and their short names."""


def assess(
    state: GroupState,
    now: datetime,
    policy: RiskPolicy = DEFAULT_POLICY,
    timeless: Timeless | None = None,
) -> Assessment:
    """Judge the group at ``now``; the previous assessment in the state gives persistence.

    ``timeless``: :func:`timeless_reasons` of this very state, if the caller kept them
    (unused for a group that is not active or is paused).
    """
    if state.status != "active":
        return Assessment(HEALTHY, 0.0, (Reason(state.status, f"Group {state.status}", 0.0),))
    if state.is_paused(now):
        return Assessment(HEALTHY, 0.0, (quiet_note(state),))
    if timeless is None:
        timeless = timeless_reasons(state, policy)
    logit, now_reasons = terms(timed(state, now, policy, timeless), policy)
    p, reasons = probability(timeless.logit + logit, [*now_reasons, *timeless.reasons])
    p = round(p, 2)  # more places would rewrite a silent group's row at every grid time
    usual = timeless.usual_gap
    before = getattr(state.assessment, "marks", None) or NO_MARKS
    m = levels.marks(p, now, before, policy)
    if is_dormant(state, now, policy):
        return Assessment(DORMANT, p, reasons, p, m, usual)
    level = levels.level(now, m, state.level, policy)
    return Assessment(level, p, reasons, p, m, usual)


def quiet_note(s: GroupState) -> Reason:
    """The note a paused group carries instead of risk reasons."""
    until = s.paused_until.date().isoformat() if s.paused_until else "further notice"
    why = f" ({s.pause_reason})" if s.pause_reason else ""
    return Reason("paused", f"Paused until {until}{why}", 0.0)

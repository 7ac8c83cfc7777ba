"""The risk model: ``assess(state, now, policy) -> Assessment(level, score, reasons)``.

Pure and deterministic: the same state, time and policy always give the same assessment.
Each signal in :mod:`projections.risk.signals` contributes a weighted :class:`Reason` with its
evidence in plain words; the score is their sum (capped at 1). Levels, lowest to highest:
healthy, watch, at_risk, dormant. Dormancy is silence alone (:func:`is_dormant`); a paused
or ended group is never flagged. Thresholds and their rationale: docs/decisions/0005.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from projections.fold.state import GroupState
from projections.risk.signals import TIMED, TIMELESS, quiet_note, silence_periods
from projections.risk.thresholds import (
    AT_RISK,
    DEFAULT_POLICY,
    DORMANT,
    HEALTHY,
    LEVELS,
    WATCH,
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
    """A group's health at one moment: level, score in [0, 1], and the reasons."""

    level: str
    score: float
    reasons: tuple[Reason, ...] = ()

    def reasons_dicts(self) -> list[dict[str, object]]:
        """Reasons as plain dicts, strongest first."""
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


def timeless_reasons(state: GroupState, policy: RiskPolicy = DEFAULT_POLICY) -> tuple[Reason, ...]:
    """The reasons of the signals that do not depend on ``now`` (same until the next event)."""
    return tuple(r for signal in TIMELESS if (r := signal(state, None, policy)) is not None)


def assess(
    state: GroupState,
    now: datetime,
    policy: RiskPolicy = DEFAULT_POLICY,
    timeless: tuple[Reason, ...] | None = None,
) -> Assessment:
    """Score the group at ``now``; the previous level in ``state.level`` gives hysteresis.

    ``timeless``: :func:`timeless_reasons` of this very state, if the caller kept them
    (unused for a group that is not active or is paused).
    """
    if state.status != "active":
        return Assessment(HEALTHY, 0.0, (Reason(state.status, f"Group {state.status}", 0.0),))
    if state.is_paused(now):
        return Assessment(HEALTHY, 0.0, (quiet_note(state),))
    if timeless is None:
        timeless = timeless_reasons(state, policy)
    found = [r for signal in TIMED if (r := signal(state, now, policy)) is not None]
    found += timeless
    reasons = tuple(sorted(found, key=lambda r: (-r.weight, r.code)))
    score = round(min(1.0, sum(r.weight for r in reasons)), 2)
    if is_dormant(state, now, policy):
        return Assessment(DORMANT, 1.0, reasons)
    return Assessment(_level(score, state.level, policy), score, reasons)


def _level(score: float, previous: str | None, policy: RiskPolicy) -> str:
    if score >= policy.at_risk_score:
        return AT_RISK
    if previous in (AT_RISK, DORMANT) and score >= policy.recover_below:
        return AT_RISK
    return WATCH if score >= policy.watch_score else HEALTHY

"""Risk-model thresholds and the :class:`Reason` a signal gives (decision 0005)."""

from __future__ import annotations

from dataclasses import dataclass

HEALTHY, WATCH, AT_RISK, DORMANT = "healthy", "watch", "at_risk", "dormant"
LEVELS = (HEALTHY, WATCH, AT_RISK, DORMANT)


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """Thresholds and weights of the risk model (defaults explained in decision 0005)."""

    watch_score: float = 0.3
    at_risk_score: float = 0.6
    recover_below: float = 0.45
    dormant_after_periods: float = 4.0
    gap_steps: tuple[tuple[float, float], ...] = (
        (1.25, 0.3),
        (1.5, 0.35),
        (2.0, 0.45),
        (2.5, 0.6),
    )
    never_met_steps: tuple[tuple[float, float], ...] = ((1.25, 0.3), (2.0, 0.6))
    recent_sessions: int = 3
    baseline_min_sessions: int = 2
    attendance_steps: tuple[tuple[float, float], ...] = ((0.5, 0.45), (0.75, 0.25))
    min_core: int = 3
    core_min_sessions: int = 2
    core_weight: float = 0.35
    core_collapsed_weight: float = 0.5
    lapsed_share: float = 1 / 3
    lapsed_share_weight: float = 0.3
    any_lapsed_weight: float = 0.1
    commitment_sessions: int = 2
    no_commitments_weight: float = 0.25
    long_commitment_sessions: int = 3
    no_commitments_long_weight: float = 0.35
    commitments_falling_ratio: float = 0.5
    commitments_falling_weight: float = 0.2
    kept_min_resolved: int = 3
    kept_ratio: float = 0.34
    low_kept_weight: float = 0.15
    cancel_window: int = 4
    cancel_min: int = 2
    cancel_weight: float = 0.2
    facilitator_lapsed_weight: float = 0.2
    facilitator_left_weight: float = 0.15
    skip_window: int = 6
    skip_slack: float = 0.75
    skip_min_expected: int = 4
    skip_steps: tuple[tuple[float, float], ...] = ((1 / 3, 0.2), (0.5, 0.35))
    young_sessions: int = 3
    weak_start_share: float = 0.5
    weak_start_weight: float = 0.3


DEFAULT_POLICY = RiskPolicy()


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a group scored what it did: a stable code, plain-words evidence, its weight."""

    code: str
    text: str
    weight: float

    def to_dict(self) -> dict[str, object]:
        """The wire/read-model shape ``{code, text, weight}``."""
        return {"code": self.code, "text": self.text, "weight": self.weight}

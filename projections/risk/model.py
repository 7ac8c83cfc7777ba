"""The logistic (discrete-time hazard) model: features in, P(dormant within 3 periods) out.

``logit p = intercept + Σ coefficient_f · value_f`` over the features that fired
(:mod:`.signals`, :mod:`.rhythm`). Each feature's term is its **contribution** to the
log-odds; the reasons are the features whose contribution is worth stating, largest first
(negative ones are evidence of life). Coefficients come from the policy (fitted by
``benchmarks/fit_risk.py``, decision 0017).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

from projections.risk.thresholds import Evidence, Reason, RiskPolicy


@lru_cache(maxsize=32)
def weights(policy: RiskPolicy) -> dict[str, float]:
    """The policy's coefficients by feature name (a policy is frozen, so kept)."""
    return dict(policy.coefficients)


def terms(found: Iterable[Evidence], policy: RiskPolicy) -> tuple[float, list[Reason]]:
    """The features' part of the log-odds, and the reasons worth stating (unsorted)."""
    w = weights(policy)
    logit, reasons = 0.0, []
    for e in found:
        term = w.get(e.code, 0.0) * e.value
        logit += term
        if abs(term) >= policy.min_reason:
            reasons.append(Reason(e.code, e.text, round(term, 2)))
    return logit, reasons


def probability(logit: float, reasons: list[Reason]) -> tuple[float, tuple[Reason, ...]]:
    """P(dormant within the next 3 cadence periods) from the log-odds (intercept included),
    and the reasons by contribution, largest first."""
    reasons.sort(key=_by_contribution)
    return _sigmoid(logit), tuple(reasons)


def _by_contribution(r: Reason) -> tuple[float, str]:
    return (-r.weight, r.code)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)

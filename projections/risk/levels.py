"""Levels from the probability, with persistence (decision 0017).

A level is a promise to a coordinator, so it must not flash: p has to stay above a
threshold for ``raise_after_hours`` (two judgements at least that far apart) before the
level rises, and a standing at_risk flag is withdrawn only once p has stayed below the
lower ``recover_p`` for ``withdraw_after_hours``. The three "since" times travel in the
:class:`Marks` of the previous assessment, so ``assess`` stays a pure function of the
state (live and rebuild judge the same times, so they agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from projections.risk.thresholds import AT_RISK, DORMANT, HEALTHY, WATCH, RiskPolicy


@dataclass(frozen=True, slots=True)
class Marks:
    """Since when p has stayed at or above ``at_risk_p`` (``high``), at or above
    ``watch_p`` (``watch``), and below ``recover_p`` (``low``), at the judgements so far."""

    high: datetime | None = None
    watch: datetime | None = None
    low: datetime | None = None


NO_MARKS = Marks()


def marks(p: float, now: datetime, before: Marks, policy: RiskPolicy) -> Marks:
    """The marks after judging ``p`` at ``now``."""
    return Marks(
        (before.high or now) if p >= policy.at_risk_p else None,
        (before.watch or now) if p >= policy.watch_p else None,
        (before.low or now) if p < policy.recover_p else None,
    )


def level(now: datetime, m: Marks, previous: str | None, policy: RiskPolicy) -> str:
    """The level to show, given the marks and the level shown so far."""
    rise = timedelta(hours=policy.raise_after_hours)
    if previous in (AT_RISK, DORMANT):
        withdraw = timedelta(hours=policy.withdraw_after_hours)
        if m.low is None or now - m.low < withdraw:
            return AT_RISK
        return WATCH if m.watch is not None else HEALTHY
    if m.high is not None and now - m.high >= rise:
        return AT_RISK
    if m.watch is not None and (previous == WATCH or now - m.watch >= rise):
        return WATCH
    return HEALTHY


def pending(m: Marks, shown: str, policy: RiskPolicy) -> datetime | None:
    """When a level change the marks are waiting for falls due (None: none waiting)."""
    rise = timedelta(hours=policy.raise_after_hours)
    times = []
    if m.high is not None and shown not in (AT_RISK, DORMANT):
        times.append(m.high + rise)
    if m.watch is not None and shown == HEALTHY:
        times.append(m.watch + rise)
    if m.low is not None and shown in (AT_RISK, DORMANT):
        times.append(m.low + timedelta(hours=policy.withdraw_after_hours))
    return min(times, default=None)

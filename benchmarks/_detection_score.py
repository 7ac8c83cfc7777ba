"""Scores flags against the simulator's ground truth (definitions: docs/decisions/0011).

- A dying group is **caught** when it is flagged ``at_risk`` after its decline began
  (``decline_at`` in the truth) and before its dormancy time. **Lead** = dormancy time −
  that first flag, in cadence periods. A flag raised earlier that still stands when the
  decline begins counts from the decline.
- The **standing** variant only counts a flag that was never withdrawn (the level never
  fell back to healthy/watch) before dormancy: the warning a coordinator still sees.
- A steady or paused group is a **false positive** when it is ever at_risk (or dormant)
  inside the simulated window.
- Censored groups (a dying fate whose death falls after the window) count for neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

FLAGGED = ("at_risk", "dormant")
HEALTHY_FATES = ("steady", "planned_pause")

Changes = list[tuple[datetime, str]]


@dataclass(frozen=True)
class Outcome:
    """How one detector did on one group."""

    fate: str
    cadence: str
    dies: bool
    flagged: bool
    lead: float | None = None
    """Periods of warning before dormancy (dying groups that were caught)."""
    standing_lead: float | None = None
    """Periods before dormancy of the flag still standing at dormancy (None: none stood)."""
    first_flag_periods: float | None = None
    """Periods after the group's last session that the first flag was raised."""


def level_at(changes: Changes, at: datetime) -> str:
    """The level in force at ``at`` (healthy before any change)."""
    level = "healthy"
    for when, new in changes:
        if when > at:
            break
        level = new
    return level


def first_flag(changes: Changes, since: datetime, before: datetime) -> datetime | None:
    """The first at_risk flag in ``[since, before)``, or ``since`` if one already stands."""
    if level_at(changes, since) in FLAGGED:
        return since
    return next((w for w, lvl in changes if since <= w < before and lvl == "at_risk"), None)


def standing_since(changes: Changes, at: datetime) -> datetime | None:
    """Start of the flagged episode (at_risk, then possibly dormant) still running at ``at``."""
    start = None
    for when, level in changes:
        if when > at:
            break
        if level == "at_risk" and start is None:
            start = when
        elif level not in FLAGGED:
            start = None
    return start


def outcome(truth, changes: Changes, end: datetime, strict_periods: float = 0.0) -> Outcome:
    """Score one group; ``strict_periods`` moves dormancy earlier (sensitivity check)."""
    period = timedelta(days=truth.period_days)
    if not truth.dies:
        flagged = any(level in FLAGGED and when <= end for when, level in changes)
        return Outcome(truth.fate, truth.cadence, False, flagged)
    dormant = truth.dormant_at - strict_periods * period
    flag = first_flag(changes, truth.decline_at or truth.formed_at, dormant)
    if flag is None or flag >= dormant:
        return Outcome(truth.fate, truth.cadence, True, False)
    stood = standing_since(changes, dormant)
    standing = (dormant - max(stood, flag)) / period if stood and stood < dormant else None
    anchor = truth.last_session_at or truth.formed_at
    return Outcome(truth.fate, truth.cadence, True, True, (dormant - flag) / period, standing,
                   (flag - anchor) / period)  # fmt: skip


@dataclass
class Summary:
    """Recall, median lead and false-positive rate over many outcomes."""

    recall: float
    lead: float
    standing_recall: float
    standing_lead: float
    fpr: float
    dying: int
    healthy: int


def _median(values: list[float]) -> float:
    return median(values) if values else float("nan")


def summarise(outcomes: list[Outcome]) -> Summary:
    """The headline figures."""
    dying = [o for o in outcomes if o.dies]
    caught = [o.lead for o in dying if o.flagged and o.lead is not None]
    stood = [o.standing_lead for o in dying if o.standing_lead is not None]
    healthy = [o for o in outcomes if not o.dies and o.fate in HEALTHY_FATES]
    n = len(dying) or 1
    return Summary(
        recall=len(caught) / n, lead=_median(caught),
        standing_recall=len(stood) / n, standing_lead=_median(stood),
        fpr=sum(o.flagged for o in healthy) / len(healthy) if healthy else float("nan"),
        dying=len(dying), healthy=len(healthy),
    )  # fmt: skip


def by_fate(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Per fate: n, share flagged (recall for dying fates), median lead of the caught."""
    fates: dict[str, list[Outcome]] = {}
    for o in outcomes:
        fates.setdefault(o.fate, []).append(o)
    out = {}
    for fate, group in sorted(fates.items()):
        leads = [o.lead for o in group if o.flagged and o.lead is not None]
        raised = [o.first_flag_periods for o in group if o.first_flag_periods is not None]
        out[fate] = {
            "n": len(group),
            "flagged": sum(o.flagged for o in group) / len(group),
            "lead": _median(leads),
            "raised_after": _median(raised),
        }
    return out

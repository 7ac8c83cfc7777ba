"""How a detector did on each group, judged against the hindsight labels (issue 13).

- A flag is raised when a group's level enters ``at_risk`` (or ``dormant``) from below.
  It **stands** when it is not withdrawn within :data:`STANDS_FOR` (24 h), or is still
  standing at dormancy: a flag that flashes for a few hours warns nobody.
- A dormant group is **caught** when a standing flag was raised before its dormancy, since
  it was last ``healthy`` (the warning belongs to the decline that ended in dormancy);
  **lead** = dormancy − the first such flag, in the group's cadence periods.
- A non-dying group (kept meeting, or concluded as planned) is a **false positive** when it
  was ever flagged inside the range (a flash counts: an alert went out); it **reached
  watch** when its level was ever ``watch`` or above.
Dissolved and censored groups count for neither; a group dormant before the range or after
its end is left out too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from projections.backtest.labels import DYING, NON_DYING, Label
from projections.backtest.naive import Changes

FLAGGED = frozenset({"at_risk", "dormant"})
NOTICED = FLAGGED | {"watch"}
STANDS_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class GroupOutcome:
    """One detector on one group: its label and what the detector did."""

    group: str
    kind: str
    family: str | None
    flagged: bool
    watched: bool
    lead: float | None = None
    """Periods between the first standing flag and dormancy (caught dormant groups)."""
    quiet: float = 0.0
    """The longest silence the group came back from, in periods (its label's)."""

    @property
    def dies(self) -> bool:
        """Went dormant inside the range."""
        return self.kind in DYING

    @property
    def caught(self) -> bool:
        """A dormant group flagged in time."""
        return self.lead is not None


def level_at(changes: Changes, at: datetime) -> str:
    """The level in force at ``at`` (healthy before any change)."""
    level = "healthy"
    for when, new in changes:
        if when > at:
            break
        level = new
    return level


def raised_flags(changes: Changes) -> list[tuple[datetime, datetime | None]]:
    """Each flag as ``(raised, withdrawn or None)``, in time order."""
    out: list[tuple[datetime, datetime | None]] = []
    level, raised = "healthy", None
    for when, new in changes:
        if new in FLAGGED and level not in FLAGGED:
            raised = when
        elif new not in FLAGGED and level in FLAGGED and raised is not None:
            out.append((raised, when))
            raised = None
        level = new
    if raised is not None:
        out.append((raised, None))
    return out


def first_standing_flag(
    changes: Changes, since: datetime | None, until: datetime
) -> datetime | None:
    """When the first flag raised in ``[since, until)`` that stands was raised."""
    for raised, withdrawn in raised_flags(changes):
        if raised >= until or (since is not None and raised < since):
            continue
        if withdrawn is None or withdrawn >= until or withdrawn - raised >= STANDS_FOR:
            return raised
    return None


def last_healthy(changes: Changes, before: datetime) -> datetime | None:
    """The last time the level became ``healthy`` before ``before`` (None: never did)."""
    found = None
    for when, level in changes:
        if when >= before:
            break
        if level == "healthy":
            found = when
    return found


def ever(changes: Changes, levels: frozenset[str], start: datetime, end: datetime) -> bool:
    """Whether the level was one of ``levels`` at some time in ``[start, end]``."""
    if level_at(changes, start) in levels:
        return True
    return any(start < when <= end and level in levels for when, level in changes)


def outcomes(
    changes: Mapping[str, Changes],
    labels: Mapping[str, Label],
    start: datetime,
    end: datetime,
    families: Mapping[str, str] | None = None,
) -> list[GroupOutcome]:
    """Every labelled group that counts (see the module), scored for one detector."""
    out = []
    for group, label in labels.items():
        family = families.get(group) if families is not None else None
        history = changes.get(group, [])
        if label.kind in DYING and label.at is not None and start < label.at <= end:
            since = last_healthy(history, label.at)
            raised = first_standing_flag(history, since, label.at)
            lead = (label.at - raised) / label.period if raised is not None else None
            flagged = ever(history, FLAGGED, start, label.at)
            watched = ever(history, NOTICED, start, label.at)
            out.append(GroupOutcome(group, label.kind, family, flagged, watched, lead))
        elif label.kind in NON_DYING:
            until = min(end, label.at) if label.at else end
            flagged, watched = (
                ever(history, FLAGGED, start, until),
                ever(history, NOTICED, start, until),
            )
            out.append(GroupOutcome(group, label.kind, family, flagged, watched, quiet=label.quiet))
    return out

"""Alert volume: how many at_risk flags a coordinator would have received per week.

Every flag raised (a group's level entering at_risk or dormant from below) is one alert
to the group's coordinator (:meth:`~projections.backtest.labels.Facts.coordinator_of`).
Volume is alerts / (coordinators × weeks in the range); the weekly series (by the Monday
that starts each ISO week) feeds the chart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from projections.backtest.labels import Label
from projections.backtest.metrics import raised_flags
from projections.backtest.naive import Changes

WEEK = timedelta(days=7)


@dataclass
class Alerts:
    """Alerts raised in a range and the coordinator-weeks they fell on (additive)."""

    raised: int = 0
    coordinator_weeks: float = 0.0
    weekly: Counter[date] = field(default_factory=Counter)

    @property
    def per_coordinator_week(self) -> float:
        """The headline figure (NaN without any coordinator-week)."""
        return self.raised / self.coordinator_weeks if self.coordinator_weeks else float("nan")

    def add(self, other: Alerts) -> None:
        """Fold another range's (or program's) alerts into these."""
        self.raised += other.raised
        self.coordinator_weeks += other.coordinator_weeks
        self.weekly.update(other.weekly)


def monday(t: datetime) -> date:
    """The Monday starting ``t``'s ISO week."""
    return t.date() - timedelta(days=t.weekday())


def alerts(
    changes: Mapping[str, Changes], labels: Mapping[str, Label], start: datetime, end: datetime
) -> Alerts:
    """The alerts of one detector's level changes in ``[start, end]``."""
    out = Alerts()
    coordinators = {label.coordinator for label in labels.values() if label.first_seen <= end}
    out.coordinator_weeks = len(coordinators) * max(end - start, timedelta(0)) / WEEK
    for history in changes.values():
        for raised, _ in raised_flags(history):
            if start <= raised <= end:
                out.raised += 1
                out.weekly[monday(raised)] += 1
    return out

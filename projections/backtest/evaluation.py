"""A detector's results over one or more programs, and the figures drawn from them.

:func:`evaluate` scores one replay; :class:`Evaluation` values of several programs (the
benchmark's seeds) add up with :meth:`Evaluation.add` before :class:`Summary` takes
medians and shares over all of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from projections.backtest.alerts import Alerts, alerts
from projections.backtest.calibration import Pair, base_rate, brier, forecasts
from projections.backtest.labels import DORMANT_PERIODS, Label
from projections.backtest.metrics import GroupOutcome, outcomes
from projections.backtest.replay import NAIVE, Replayed

NAN = float("nan")


@dataclass
class Evaluation:
    """One detector's group outcomes, forecasts (None: it gives no probability), alerts."""

    outcomes: list[GroupOutcome] = field(default_factory=list)
    pairs: list[Pair] | None = None
    alerts: Alerts = field(default_factory=Alerts)

    def add(self, other: Evaluation) -> None:
        """Fold in another program's evaluation of the same detector."""
        self.outcomes += other.outcomes
        if other.pairs is not None:
            self.pairs = (self.pairs or []) + other.pairs
        self.alerts.add(other.alerts)


def evaluate(
    replayed: Replayed,
    labels: Mapping[str, Label],
    start: datetime,
    end: datetime,
    families: Mapping[str, str] | None = None,
    data_end: datetime | None = None,
) -> dict[str, Evaluation]:
    """Score every detector of ``replayed`` over ``[start, end]``; ``data_end``: the time
    the labels were taken at (default: the stream's last event)."""
    data_end = data_end or replayed.facts.last_time or end
    out = {}
    for name, trace in replayed.traces.items():
        out[name] = Evaluation(
            outcomes(trace.changes, labels, start, end, families),
            None if name == NAIVE else forecasts(trace.samples, labels, data_end, start),
            alerts(trace.changes, labels, start, end),
        )
    return out


def _share(hits: int, n: int) -> float:
    return hits / n if n else NAN


def _median(values: list[float]) -> float:
    return median(values) if values else NAN


@dataclass(frozen=True)
class Summary:
    """The headline figures of one detector (NaN: nothing to measure)."""

    dormant: int
    recall: float
    lead: float
    non_dying: int
    false_positive_rate: float
    watch_share: float
    brier: float
    base_rate: float
    alerts_per_coordinator_week: float
    came_back: int = 0
    """Non-dying groups that came back from a silence dormant by the definition."""
    came_back_flagged: float = NAN
    """The share of those ever flagged (a detector showing dormancy flags them all)."""
    others_flagged: float = NAN
    """The share of the other non-dying groups ever flagged."""

    @classmethod
    def of(cls, ev: Evaluation, gives_watch: bool = True) -> Summary:
        """``gives_watch=False`` for a detector without a watch level (the naive rule)."""
        dying = [o for o in ev.outcomes if o.dies]
        fine = [o for o in ev.outcomes if not o.dies]
        back = [o for o in fine if o.quiet >= DORMANT_PERIODS]
        others = [o for o in fine if o.quiet < DORMANT_PERIODS]
        pairs = ev.pairs
        return cls(
            dormant=len(dying),
            recall=_share(sum(o.caught for o in dying), len(dying)),
            lead=_median([o.lead for o in dying if o.lead is not None]),
            non_dying=len(fine),
            false_positive_rate=_share(sum(o.flagged for o in fine), len(fine)),
            watch_share=_share(sum(o.watched for o in fine), len(fine)) if gives_watch else NAN,
            brier=brier(pairs) if pairs is not None else NAN,
            base_rate=base_rate(pairs) if pairs is not None else NAN,
            alerts_per_coordinator_week=ev.alerts.per_coordinator_week,
            came_back=len(back),
            came_back_flagged=_share(sum(o.flagged for o in back), len(back)),
            others_flagged=_share(sum(o.flagged for o in others), len(others)),
        )


def by_family(ev: Evaluation) -> dict[str, Summary]:
    """A :class:`Summary` per family (groups without one are left out)."""
    families = sorted({o.family for o in ev.outcomes if o.family is not None})
    out = {}
    for family in families:
        part = Evaluation([o for o in ev.outcomes if o.family == family], None, Alerts())
        out[family] = Summary.of(part)
    return out


def is_nan(value: float) -> bool:
    """NaN check that accepts ints."""
    return isinstance(value, float) and math.isnan(value)

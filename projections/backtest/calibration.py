"""Is ``Assessment.probability`` a probability? Brier score and a reliability table.

Each daily sample of an active group is one forecast: P(dormant within the next
:data:`~projections.backtest.labels.DORMANT_PERIODS` cadence periods). With hindsight it
came true when the group's dormancy fell in ``(t, t + 3 periods]``. A sample taken at or
after the group's dormancy or end is no forecast; one whose horizon runs past the data's
end without the group going dormant is censored (unknown) and left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from projections.backtest.labels import DORMANT_PERIODS, Label
from projections.backtest.replay import Sample

BINS = 10

Pair = tuple[float, int]
"""(predicted probability, 1 if the group went dormant within the horizon else 0)."""


def forecasts(
    samples: Mapping[str, list[Sample]],
    labels: Mapping[str, Label],
    data_end: datetime,
    start: datetime | None = None,
) -> list[Pair]:
    """The (prediction, outcome) pairs of the samples taken at or after ``start``."""
    pairs: list[Pair] = []
    for group, taken in samples.items():
        label = labels.get(group)
        if label is None or label.kind == "censored":
            continue
        for s in taken:
            if s.probability is None or (start is not None and s.at < start):
                continue
            if label.at is not None and s.at >= label.at:
                break
            horizon = s.at + DORMANT_PERIODS * label.period
            if label.kind == "dormant" and label.at is not None and label.at <= horizon:
                pairs.append((s.probability, 1))
            elif horizon <= data_end:
                pairs.append((s.probability, 0))
    return pairs


def brier(pairs: Iterable[Pair]) -> float:
    """Mean squared error of the forecasts (0 is perfect; NaN without any)."""
    pairs = list(pairs)
    if not pairs:
        return float("nan")
    return math.fsum((p - y) ** 2 for p, y in pairs) / len(pairs)


def base_rate(pairs: Iterable[Pair]) -> float:
    """Share of forecasts that came true (NaN without any)."""
    pairs = list(pairs)
    return sum(y for _, y in pairs) / len(pairs) if pairs else float("nan")


@dataclass(frozen=True)
class Bin:
    """One row of the reliability table: forecasts with ``low <= p < high``."""

    low: float
    high: float
    n: int
    predicted: float
    observed: float


def reliability(pairs: Iterable[Pair], bins: int = BINS) -> list[Bin]:
    """Forecasts grouped into ``bins`` equal ranges of p; empty bins are left out."""
    sums = [[0, 0.0, 0] for _ in range(bins)]
    for p, y in pairs:
        row = sums[min(bins - 1, max(0, int(p * bins)))]
        row[0] += 1
        row[1] += p
        row[2] += y
    return [
        Bin(i / bins, (i + 1) / bins, n, total / n, hits / n)
        for i, (n, total, hits) in enumerate(sums)
        if n
    ]

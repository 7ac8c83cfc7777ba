"""Backtests: replay a program's own public events through the real projector, judge
every policy's flags against what became of each group, report beside the naive rule.

The pure parts (replay, hindsight labels, metrics, report) take decoded
:class:`~projections.fold.envelope.Envelope` values in notification order, from anywhere;
:mod:`projections.backtest.sources` reads them from the events topic or the event store.
``peerpulse backtest`` is :func:`run_backtest` over a source, then
:meth:`Report.to_markdown` and :meth:`Report.write_html`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from projections.backtest.evaluation import Evaluation, Summary, evaluate
from projections.backtest.labels import Label, hindsight
from projections.backtest.replay import NAIVE, Replayed, replay
from projections.backtest.report import Report
from projections.fold.envelope import Envelope
from projections.risk.assess import RiskPolicy

__all__ = [
    "NAIVE",
    "Evaluation",
    "Label",
    "Replayed",
    "Report",
    "Summary",
    "evaluate",
    "hindsight",
    "replay",
    "run_backtest",
]


def run_backtest(
    events: Iterable[Envelope],
    policies: Mapping[str, RiskPolicy],
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    progress: bool = True,
    total: int | None = None,
    families: Mapping[str, str] | None = None,
) -> Report:
    """Replay ``events`` once for every policy (e.g. ``{"current": ..., "candidate": ...}``)
    and the naive rule; judge the flags raised in ``[start, end]`` (default: the whole
    stream) against hindsight labels as of the stream's last event. ``families``: group
    id -> family, when known (a simulation's truth), for per-family figures."""
    replayed = replay(events, policies, start, end, progress=progress, total=total)
    if replayed.start is None or replayed.end is None:
        raise ValueError("no events to backtest")
    labels = hindsight(replayed.facts)
    evaluations = evaluate(replayed, labels, replayed.start, replayed.end, families)
    kinds = Counter(label.kind for label in labels.values())
    return Report(
        evaluations, replayed.start, replayed.end, replayed.events, kinds, replayed.refused
    )

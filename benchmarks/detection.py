"""Detection quality on simulated programs: the backtest engine, tuning vs held-out seeds.

Each program goes through the real write side in process (simulated ingest messages ->
decoder/mapper -> EngagementApp -> relay translator -> public events,
``benchmarks._detection_replay``), then through the backtest engine
(:mod:`projections.backtest`): the real projector with the current policy beside the naive
rule "no session for 2 cadence periods", labels with hindsight from the events, families
from the simulator's truth. Figures are reported separately for the tuning seeds (the
held-out family left out) and for the held-out seeds (every family, the held-out one
included); the issue-13 targets apply to the held-out figures.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from benchmarks._detection_rows import split_rows
from projections.backtest import Evaluation

END = datetime(2025, 6, 1, tzinfo=UTC)
GROUPS, WEEKS = 60, 26
WORKERS = 2


@dataclass
class Split:
    """The merged results of one split's programs."""

    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    labels: Counter[str] = field(default_factory=Counter)
    agree: int = 0
    judged: int = 0
    seeds: list[int] = field(default_factory=list)

    def add(self, other: Split) -> None:
        """Fold another program of the same split in."""
        for name, ev in other.evaluations.items():
            self.evaluations.setdefault(name, Evaluation()).add(ev)
        self.labels.update(other.labels)
        self.agree, self.judged = self.agree + other.agree, self.judged + other.judged
        self.seeds += other.seeds


def score_seed(seed: int, heldout: bool, groups: int = GROUPS, weeks: int = WEEKS) -> Split:
    """Simulate one program of its split, replay it, judge it against hindsight labels."""
    from benchmarks._detection_replay import Pipeline, group_key
    from infra.simulator import simulate_heldout, simulate_tuning
    from projections.backtest import evaluate, hindsight, replay
    from projections.risk.assess import DEFAULT_POLICY

    simulate = simulate_heldout if heldout else simulate_tuning
    sim = simulate(seed, END, groups=groups, weeks=weeks)
    events = Pipeline().events(sim, sim.end)
    replayed = replay(events, {"peerpulse": DEFAULT_POLICY}, sim.start, sim.end, progress=False)
    labels = hindsight(replayed.facts, sim.end)
    truth = {group_key(sim, t.group): t for t in sim.truth}
    families = {key: t.family for key, t in truth.items()}
    evaluations = evaluate(replayed, labels, sim.start, sim.end, families, data_end=sim.end)
    out = Split(evaluations, seeds=[seed])
    out.labels.update(label.kind for label in labels.values())
    for key, label in labels.items():
        if label.kind in ("dormant", "kept_meeting") and key in truth:
            t = truth[key]
            died = t.dies and t.dormant_at is not None and t.dormant_at <= sim.end
            out.judged += 1
            out.agree += died == (label.kind == "dormant")
    return out


def collect(tuning: tuple[int, ...], heldout: tuple[int, ...], groups: int = GROUPS,
            weeks: int = WEEKS) -> dict[str, Split]:  # fmt: skip
    """Every seed of both splits, in parallel processes; merged per split."""
    jobs = [(s, False) for s in tuning] + [(s, True) for s in heldout]
    merged = {"tuning": Split(), "held-out": Split()}
    workers = max(1, min(WORKERS, os.cpu_count() or 1, len(jobs)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(score_seed, seed, held, groups, weeks) for seed, held in jobs]
        for (_, held), future in zip(jobs, futures, strict=True):
            merged["held-out" if held else "tuning"].add(future.result())
    return merged


def run() -> list[dict]:
    """The held-out figures against the issue-13 targets, then the tuning figures."""
    from infra.simulator import HELDOUT_FAMILY, HELDOUT_SEEDS, TUNING_SEEDS

    splits = collect(TUNING_SEEDS, HELDOUT_SEEDS)
    return split_rows("held-out", splits["held-out"], HELDOUT_FAMILY, GROUPS, WEEKS) + split_rows(
        "tuning", splits["tuning"], HELDOUT_FAMILY, GROUPS, WEEKS
    )


if __name__ == "__main__":
    for row in run():
        print(row)

"""Data for ``benchmarks/fit_risk.py``: simulated tuning programs as cached event streams,
and the (features, label) samples the risk model is fitted on (decision 0017).

:func:`export` runs each tuning program (``infra.simulator.simulate_tuning``, never a
held-out seed or the held-out family) through the in-process pipeline once and caches its
decoded public events with the ground truth, so fitting and threshold tuning replay only
the projection core. :func:`samples` replays a stream and, at every midnight, reads each
active, unpaused group's features as ``assess`` sees them; the label is whether the group
goes dormant (3 cadence periods after its last held session) within the next 3 periods.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from projections.engine import Outputs, Projector
from projections.fold.envelope import Envelope, parse_time
from projections.fold.state import GroupState
from projections.risk.assess import features
from projections.risk.thresholds import RiskPolicy

END = datetime(2025, 6, 1, tzinfo=UTC)
GROUPS, WEEKS = 60, 16
HORIZON = 3
"""Periods ahead the probability speaks about (dormancy = 3 periods after the last session)."""


@dataclass(frozen=True)
class Truth:
    """What the simulator knows about one group (keyed by its projection id)."""

    key: str
    fate: str
    dies: bool
    censored: bool
    period_days: int
    formed_at: datetime
    last_session_at: datetime | None
    dormant_at: datetime | None
    decline_at: datetime | None


@dataclass
class Program:
    """One cached tuning program: its end, the truth per group, the public events."""

    seed: int
    end: datetime
    truth: dict[str, Truth]
    events: list[Envelope]


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def export(seed: int, cache: Path, groups: int = GROUPS, weeks: int = WEEKS) -> Path:
    """Simulate tuning program ``seed``, replay it through the pipeline, cache it."""
    from benchmarks._detection_replay import Pipeline, group_key
    from infra.simulator import TUNING_SEEDS, simulate_tuning

    if seed not in TUNING_SEEDS:
        raise ValueError(f"seed {seed} is not a tuning seed")
    sim = simulate_tuning(seed, END, groups=groups, weeks=weeks)
    horizon = max([t.dormant_at for t in sim.truth if t.dormant_at] + [sim.end]) + timedelta(days=1)
    events = [[e.type, e.subject, _iso(e.time), dict(e.data), e.aggregate_id, e.version,
               e.partition] for e in Pipeline().events(sim, horizon)]  # fmt: skip
    truth = [{"key": group_key(sim, t.group), "fate": t.fate, "dies": t.dies,
              "censored": t.censored, "period_days": t.period_days,
              "formed_at": _iso(t.formed_at), "last_session_at": _iso(t.last_session_at),
              "dormant_at": _iso(t.dormant_at), "decline_at": _iso(t.decline_at)}
             for t in sim.truth]  # fmt: skip
    path = cache / f"seed-{seed}.json.gz"
    doc = {"seed": seed, "end": _iso(sim.end), "truth": truth, "events": events}
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(doc, f, default=str)
    return path


def load(path: Path) -> Program:
    """A cached program."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    truth = {}
    for row in doc["truth"]:
        times = {k: parse_time(row[k]) if row[k] else None
                 for k in ("formed_at", "last_session_at", "dormant_at", "decline_at")}  # fmt: skip
        truth[row["key"]] = Truth(row["key"], row["fate"], row["dies"], row["censored"],
                                  row["period_days"], **times)  # fmt: skip
    events = [Envelope(ty, subj, parse_time(at), data, agg, ver, part)
              for ty, subj, at, data, agg, ver, part in doc["events"]]  # fmt: skip
    return Program(doc["seed"], parse_time(doc["end"]), truth, events)


def label(truth: Truth, at: datetime, end: datetime) -> int | None:
    """1: dormant within ``HORIZON`` periods of ``at``; 0: not; None: not a sample (censored,
    already dormant, or a surviving group past the window, where the stream stops)."""
    if truth.censored:
        return None
    if truth.dies and truth.dormant_at is not None:
        if at >= truth.dormant_at:
            return None
        return int(truth.dormant_at - at <= HORIZON * timedelta(days=truth.period_days))
    return None if at > end else 0


def samples(program: Program, policy: RiskPolicy) -> Iterator[tuple[dict[str, float], int]]:
    """``(feature values by code, label)`` for every active, unpaused group at every midnight."""
    for s, at, _, y in group_days(program, policy):
        yield {e.code: e.value for e in features(s, at, policy)}, y


def group_days(
    program: Program, policy: RiskPolicy
) -> Iterator[tuple[GroupState, datetime, Truth, int]]:
    """``(state, midnight, truth, label)`` for every active, unpaused group at every
    midnight of the program, the state as the projector holds it then (read it before
    taking the next item)."""
    projector, out = Projector(policy, health_records=False), Outputs()
    day = None
    for ev in program.events:
        midnight = ev.time.replace(hour=0, minute=0, second=0, microsecond=0)
        while day is not None and day < midnight:
            day += timedelta(days=1)
            yield from _at(program, projector, day)
        day = day or midnight
        projector.process(ev, out)
        if len(out.rows) > 5000:
            out = Outputs()


def _at(
    program: Program, projector: Projector, at: datetime
) -> Iterator[tuple[GroupState, datetime, Truth, int]]:
    for key, s in projector.groups.items():
        truth = program.truth.get(key)
        if truth is None or s.status != "active" or s.is_paused(at) or at < truth.formed_at:
            continue
        y = label(truth, at, program.end)
        if y is not None:
            yield s, at, truth, y

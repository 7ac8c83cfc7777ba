"""Batch replay of the events topic into a fresh read model (``peerpulse rebuild``).

Reads every partition from its beginning to the end offsets seen at start with plain
kafka-python consumers (no consumer group, large fetches) and feeds the same projector
the live worker uses (:mod:`projections.worker.rebuild_feed`); finally sets the worker's group
position to where the rebuilt read model's checkpoint stands.

The projector's state is per partition (groups live in the partition of their key, each
partition has its own clock), so with several partitions and CPUs each partition is
replayed by its own worker process, giving identical rows. Counters are summed here and
written with the checkpoint in one last transaction, which also removes the
unfinished-rebuild mark written first: a crashed rebuild leaves the mark, and the
worker (or the next rebuild) resets the read model instead of trusting it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from kafka import TopicPartition
from tqdm import tqdm

from infra.kafka import consumer, end_offsets
from infra.settings import Settings
from projections.engine import Outputs
from projections.readmodel.batch import Batch
from projections.readmodel.store import REBUILDING, ReadModel
from projections.worker.group_offsets import partitions, set_group_offsets
from projections.worker.rebuild_feed import FeedResult, FeedSpec, run_feed
from projections.worker.wire import ProjectionTopics


@dataclass
class RebuildStats:
    """What a rebuild did."""

    events: int
    seconds: float
    groups: int
    alerts: int

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds else 0.0


def default_workers(partition_count: int) -> int:
    """One process per partition on a multi-core machine (at most two per core)."""
    cpus = os.cpu_count() or 1
    return 1 if cpus < 2 else max(1, min(partition_count, 2 * cpus))


def rebuild(
    settings: Settings,
    names: ProjectionTopics,
    group_id: str,
    *,
    emit: bool = False,
    on_output: Callable[[Outputs], None] | None = None,
    progress: bool = True,
    batch_events: int = 100_000,
    workers: int | None = None,
) -> RebuildStats:
    """Recompute every read model from the start of ``names.events``.

    ``workers``: processes replaying partitions in parallel (default
    :func:`default_workers`); ``on_output`` needs the outputs in this process, so it
    replays everything here."""
    bootstrap, started = settings.kafka_bootstrap, time.monotonic()
    parts = partitions(bootstrap, names.events)
    tps = [TopicPartition(names.events, p) for p in parts]
    ends = {tp.partition: o for tp, o in end_offsets(bootstrap, tps).items()}
    total = _total(bootstrap, tps, ends)
    readmodel = ReadModel(settings).open(bulk=True)
    readmodel.reset()
    readmodel.begin_rebuild()
    spec = FeedSpec(settings, names, ends, emit, batch_events)
    n = 1 if on_output is not None else (workers or default_workers(len(parts)))
    with tqdm(total=total, unit="ev", unit_scale=True, disable=not progress, desc="rebuild") as bar:
        if n <= 1:
            results = [run_feed(spec, bar.update, on_output)]
        else:
            results = _parallel(spec, min(n, len(parts)), bar)
    final = Batch(drop={REBUILDING})
    for r in results:
        final.incrs.update(_added(final.incrs, r.counters))
        final.checkpoint.update({(names.events, p): o for p, o in r.positions.items()})
    readmodel.write(final)
    positions = {p: max(final.checkpoint.get((names.events, p), 0), ends[p]) for p in parts}
    set_group_offsets(bootstrap, f"{group_id}.{readmodel.epoch()}", names.events, positions)
    readmodel.close()
    return RebuildStats(
        total,
        time.monotonic() - started,
        sum(r.groups for r in results),
        sum(r.alerts for r in results),
    )


def _total(bootstrap: str, tps: list[TopicPartition], ends: dict[int, int]) -> int:
    c = consumer(bootstrap, None)
    try:
        starts = c.beginning_offsets(tps)
    finally:
        c.close(autocommit=False)
    return sum(max(0, ends[tp.partition] - starts[tp]) for tp in tps)


def _added(into: dict, counters: dict) -> dict:
    """``counters`` added onto the matching rows of ``into`` (new dicts, ``into`` intact)."""
    out = {}
    for key, deltas in counters.items():
        acc = dict(into.get(key, {}))
        for col, delta in deltas.items():
            acc[col] = acc.get(col, 0) + delta
        out[key] = acc
    return out


_SEEN = None


def _init(seen) -> None:
    global _SEEN
    _SEEN = seen
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: terminate() ends us


def _child(spec: FeedSpec, slot: int) -> FeedResult:
    def progress(n: int) -> None:
        with _SEEN.get_lock():
            _SEEN[slot] += n

    return run_feed(spec, progress)


def _parallel(spec: FeedSpec, n: int, bar: tqdm) -> list[FeedResult]:
    """One feed per share of the partitions, each in its own process: forked where
    possible (nothing to re-import, and callers need no ``__main__`` guard). If this process
    stops (an exception, Ctrl-C, SIGTERM turned into an exception), the feeds are
    terminated rather than left writing the read model."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    seen = ctx.Array("q", n)
    shares = [dict(list(spec.ends.items())[i::n]) for i in range(n)]
    others = set(multiprocessing.active_children())
    with ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=(seen,)) as pool:
        try:
            futures = [
                pool.submit(_child, replace(spec, ends=share), i) for i, share in enumerate(shares)
            ]
            shown = 0
            while not all(f.done() for f in futures):
                time.sleep(0.2)
                now = sum(seen[:])
                bar.update(now - shown)
                shown = now
        except BaseException:
            for feed in set(multiprocessing.active_children()) - others:
                feed.terminate()
            raise
        results = [f.result() for f in futures]
        bar.update(sum(seen[:]) - shown)
    return results

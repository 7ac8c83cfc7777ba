"""Batch replay of the events topic into a fresh read model (``peerpulse rebuild``).

Reads every partition from its beginning to the end offsets seen at start with a plain
kafka-python consumer (no consumer group, large fetches), feeds the same
:class:`~projections.runner.ProjectionRunner` the live worker uses, and finally sets the
worker's group position to where the rebuilt read model's checkpoint stands. Batches are
sealed (states pickled) on the replay thread and written on one writer thread, one at a
time and in order, while the next batch is projected; the read model is opened in bulk
mode (the worker is stopped, a failed rebuild is simply run again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kafka import TopicPartition
from tqdm import tqdm

from infra.kafka import consumer, end_offsets, producer
from infra.settings import Settings
from projections.engine import Outputs
from projections.positions import partitions, set_group_offsets
from projections.readmodel import ReadModel
from projections.runner import ProjectionRunner
from projections.wire import ProjectionTopics, messages

FETCH = {"fetch_max_bytes": 64 << 20, "max_partition_fetch_bytes": 16 << 20,
         "max_poll_records": 20000, "fetch_min_bytes": 1 << 20, "fetch_max_wait_ms": 50}


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


def rebuild(settings: Settings, names: ProjectionTopics, group_id: str, *, emit: bool = False,
            on_output: Callable[[Outputs], None] | None = None, progress: bool = True,
            batch_events: int = 50_000) -> RebuildStats:
    """Recompute every read model from the start of ``names.events``."""
    bootstrap, started = settings.kafka_bootstrap, time.monotonic()
    tps = [TopicPartition(names.events, p) for p in partitions(bootstrap, names.events)]
    ends = end_offsets(bootstrap, tps)
    readmodel = ReadModel(settings).open(bulk=True)
    readmodel.reset()
    runner = ProjectionRunner(readmodel, names.events, restore=False)
    runner.projector.health_records = emit or on_output is not None
    out_producer = producer(bootstrap) if emit else None
    writer = ThreadPoolExecutor(1, thread_name_prefix="rebuild-writer")
    alerts, writing = 0, None

    def flush() -> None:
        nonlocal alerts, writing
        out = runner.drain()
        alerts += len(out.alerts)
        if on_output is not None:
            on_output(out)
        if out_producer is not None:
            for topic, key, value in messages(out, names):
                out_producer.send(topic, key=key, value=value)
            out_producer.flush()
        batch = runner.seal()
        if writing is not None:
            writing.result()
        writing = writer.submit(runner.write, batch)

    c = consumer(bootstrap, None, **FETCH)
    try:
        c.assign(tps)
        starts = c.beginning_offsets(tps)
        for tp in tps:
            c.seek(tp, starts[tp])
        todo = {tp for tp in tps if starts[tp] < ends[tp]}
        total = sum(ends[tp] - starts[tp] for tp in tps)
        with tqdm(total=total, unit="ev", unit_scale=True, disable=not progress,
                  desc="rebuild") as bar:
            while todo:
                for tp, records in c.poll(timeout_ms=500).items():
                    n = _feed(runner, tp, records, ends[tp])
                    bar.update(n)
                    if records and records[-1].offset + 1 >= ends[tp] and tp in todo:
                        todo.discard(tp)
                        c.pause(tp)
                if runner.batch.events >= batch_events:
                    flush()
        flush()
        writing.result()
    finally:
        writer.shutdown(wait=True)
        c.close(autocommit=False)
        if out_producer is not None:
            out_producer.close()
    positions = {tp.partition: max(runner.positions.get(tp.partition, 0), ends[tp]) for tp in tps}
    set_group_offsets(bootstrap, f"{group_id}.{readmodel.epoch()}", names.events, positions)
    groups = len(runner.projector.groups)
    readmodel.close()
    return RebuildStats(sum(ends[tp] - starts[tp] for tp in tps), time.monotonic() - started,
                        groups, alerts)


def _feed(runner: ProjectionRunner, tp: TopicPartition, records: list, end: int) -> int:
    n = 0
    for r in records:
        if r.offset >= end:
            break
        runner.handle(r.value, r.headers, tp.partition, r.offset)
        n += 1
    return n

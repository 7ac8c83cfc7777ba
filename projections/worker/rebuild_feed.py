"""One rebuild feed: some partitions of the events topic → projector → read model.

``rebuild`` runs one feed for all partitions, or one per partition in worker processes
(:mod:`projections.worker.rebuild`); each feed owns its projector, so it must own whole
partitions (a group's events and its partition's clock ticks stay together).

A feed writes the timeline and level-history rows of each sealed batch on a writer
thread while the next batch is projected, and holds the per-entity tables (one row per
group, member, program, week) until its end, so each of those rows is written once
rather than once per batch. Its last transaction writes the held rows and the projector
states, pickled once. Counters (roll-ups, weekly trend) and the positions reached are
handed back: the caller adds up every feed's counters and writes them with the
checkpoint in the rebuild's final transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiokafka import TopicPartition as AioTP

from infra.kafka import producer
from infra.settings import Settings
from projections.engine import Outputs
from projections.readmodel import tables as T
from projections.readmodel.batch import Batch, Key
from projections.readmodel.store import ReadModel
from projections.worker.collector import fewer_collections
from projections.worker.runner import ProjectionRunner
from projections.worker.wire import ProjectionTopics, messages

FETCH = {
    "fetch_max_bytes": 64 << 20,
    "max_partition_fetch_bytes": 16 << 20,
    "fetch_min_bytes": 1 << 20,
    "fetch_max_wait_ms": 50,
}
MAX_RECORDS = 20_000
HELD = frozenset(
    t.name
    for t in (
        T.GROUP_HEALTH,
        T.MEMBER_ENGAGEMENT,
        T.PROGRAM_ROLLUP,
        T.PROGRAM_EPISODES,
        T.WEEKLY_TREND,
    )
)
"""Tables with one row per entity: rewritten by many events, so held until the end. The
program tables' counters (rollup, flag episodes) are summed over the feeds by the parent:
feeds incrementing the same program rows concurrently deadlocked on PostgreSQL."""


@dataclass
class FeedResult:
    """What one feed did and what it leaves to the final transaction."""

    events: int = 0
    groups: int = 0
    alerts: int = 0
    positions: dict[int, int] = field(default_factory=dict)
    counters: dict[Key, dict[str, int]] = field(default_factory=dict)


@dataclass
class FeedSpec:
    """The partitions one feed replays, up to the end offsets seen when the rebuild began."""

    settings: Settings
    names: ProjectionTopics
    ends: dict[int, int]
    emit: bool = False
    batch_events: int = 100_000


def run_feed(
    spec: FeedSpec,
    progress: Callable[[int], None],
    on_output: Callable[[Outputs], None] | None = None,
) -> FeedResult:
    """Replay ``spec``'s partitions from their beginning; ``progress(n)`` after each poll."""
    readmodel = ReadModel(spec.settings).open(bulk=True)
    runner = ProjectionRunner(readmodel, spec.names.events, restore=False)
    runner.projector.health_records = spec.emit or on_output is not None
    out_producer = producer(spec.settings.kafka_bootstrap) if spec.emit else None
    writer = ThreadPoolExecutor(1, thread_name_prefix="rebuild-writer")
    held, result, writing = Batch(), FeedResult(), None

    def publish() -> None:
        out = runner.drain()
        result.alerts += len(out.alerts)
        if on_output is not None:
            on_output(out)
        if out_producer is not None:
            for topic, key, value in messages(out, spec.names):
                out_producer.send(topic, key=key, value=value)
            out_producer.flush()

    def flush() -> None:
        nonlocal writing
        publish()
        cold = runner.seal(states=False)
        held.merge(cold.take(HELD))
        held.checkpoint.update(cold.checkpoint)
        cold.checkpoint = {}
        if writing is not None:
            writing.result()
        writing = writer.submit(readmodel.write, cold) if cold else None

    try:
        with fewer_collections():
            result.events = _consume(spec, runner, progress, flush)
        publish()
        if writing is not None:
            writing.result()
        held.merge(runner.seal())
        result.counters, held.incrs = held.incrs, {}
        result.positions = {part: offset for (_, part), offset in held.checkpoint.items()}
        held.checkpoint = {}
        readmodel.write(held)
        result.groups = len(runner.projector.groups)
        return result
    finally:
        writer.shutdown(wait=True)
        readmodel.close()
        if out_producer is not None:
            out_producer.close()


def _consume(
    spec: FeedSpec,
    runner: ProjectionRunner,
    progress: Callable[[int], None],
    flush: Callable[[], None],
) -> int:
    """Feed every record before the end offsets to ``runner`` (aiokafka: its C record
    parser costs a third of kafka-python's pure-Python one per record)."""
    return asyncio.run(_aconsume(spec, runner, progress, flush))


async def _aconsume(
    spec: FeedSpec,
    runner: ProjectionRunner,
    progress: Callable[[int], None],
    flush: Callable[[], None],
) -> int:
    from aiokafka import AIOKafkaConsumer

    tps = [AioTP(spec.names.events, p) for p in spec.ends]
    c = AIOKafkaConsumer(
        bootstrap_servers=spec.settings.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        **FETCH,
    )
    await c.start()
    try:
        c.assign(tps)
        starts = await c.beginning_offsets(tps)
        for tp in tps:
            c.seek(tp, starts[tp])
        todo = {tp for tp in tps if starts[tp] < spec.ends[tp.partition]}
        seen = 0
        while todo:
            batches = await c.getmany(*todo, timeout_ms=500, max_records=MAX_RECORDS)
            for tp, records in batches.items():
                n = _feed(runner, tp.partition, records, spec.ends[tp.partition])
                seen += n
                progress(n)
                if records and records[-1].offset + 1 >= spec.ends[tp.partition]:
                    todo.discard(tp)
            if runner.batch.events >= spec.batch_events:
                flush()
        return seen
    finally:
        await c.stop()


def _feed(runner: ProjectionRunner, partition: int, records: list, end: int) -> int:
    handle, n = runner.handle, 0
    for r in records:
        if r.offset >= end:
            break
        handle(r.value, r.headers, partition, r.offset)
        n += 1
    return n

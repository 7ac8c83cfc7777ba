"""Projection benchmarks: rebuild throughput vs raw consume, live latency, memory.

``run()`` returns one dict per figure. Targets (issue 5): rebuild ≥ 20,000 events/s over
1,000,000 domain events (beside the raw aiokafka consume rate of the same topic, same
run), live p99 < 1 s at 200 msg/s, RSS < 1 GiB holding 100,000 groups' state.
Events: :mod:`benchmarks._projection_events` (realistic groups, sessions, attendance,
commitments, 6-hourly ticks). ``PEERPULSE_BENCH_QUICK=1`` runs small sizes.
``python -m benchmarks.projections`` prints the figures as JSON lines.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks._projection_events import synthetic

PARTITIONS = 3
QUICK = os.environ.get("PEERPULSE_BENCH_QUICK", "") not in ("", "0")
EVENTS = 50_000 if QUICK else 1_000_000
GROUPS = 5_000 if QUICK else 100_000
LATENCY_SECONDS = 15 if QUICK else 60
ROUNDS = 1 if QUICK else 3
"""Rebuild rounds, each beside a raw consume of the same topic; the medians are the figures
(this machine's speed drifts by a quarter within minutes)."""
RATE = 200


def produce(bootstrap: str, topic: str, records) -> int:
    """Fast produce (confluent-kafka; keyed records by murmur2 like kafka-python)."""
    from confluent_kafka import Producer

    p = Producer(
        {
            "bootstrap.servers": bootstrap,
            "partitioner": "murmur2_random",
            "linger.ms": 20,
            "batch.num.messages": 10000,
            "acks": "all",
        }
    )
    n = 0
    for key, value, headers, partition in records:
        extra = {} if partition is None else {"partition": partition}
        while True:
            try:
                p.produce(topic, value=value, key=key, headers=headers, **extra)
                break
            except BufferError:
                p.poll(0.05)
        n += 1
        if n % 10000 == 0:
            p.poll(0)
    p.flush(120)
    return n


async def _raw_consume(bootstrap: str, topic: str, total: int) -> float:
    """Events/s of a bare aiokafka consumer reading the whole topic (no decoding)."""
    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=16 << 20,
        fetch_max_bytes=64 << 20,
    )
    await c.start()
    seen, t = 0, time.perf_counter()
    try:
        while seen < total:
            for records in (await c.getmany(timeout_ms=500, max_records=20000)).values():
                seen += len(records)
    finally:
        await c.stop()
    return seen / (time.perf_counter() - t)


def bench_rebuild(bootstrap: str, n_events: int = EVENTS, rounds: int = ROUNDS) -> list[dict]:
    """Produce ``n_events`` to a fresh topic, then time raw aiokafka consume and rebuild,
    alternating, ``rounds`` times; the last two rows are the medians."""
    from infra.settings import Settings
    from infra.topics import create_topics
    from projections.worker.rebuild import default_workers, rebuild
    from projections.worker.wire import ProjectionTopics

    tag = uuid.uuid4().hex[:6]
    names = ProjectionTopics(f"b{tag}.events", f"b{tag}.health", f"b{tag}.alerts")
    create_topics(bootstrap, PARTITIONS, names.catalogue())
    produced = produce(bootstrap, names.events, synthetic(n_events, partitions=PARTITIONS))
    out, raws, runs = [], [], []
    median = f", median of {rounds}" if rounds > 1 else ""
    for i in range(1, rounds + 1):
        raws.append(asyncio.run(_raw_consume(bootstrap, names.events, produced)))
        settings = Settings(
            _env_file=None,
            data_dir=Path(tempfile.mkdtemp()),
            kafka_bootstrap=bootstrap,
            topic_partitions=PARTITIONS,
        )
        runs.append(rebuild(settings, names, f"bench-{tag}-{i}", progress=False))
        if rounds > 1:
            out.append(_raw_row(f"raw aiokafka consume, round {i}", produced, raws[-1]))
            out.append(_rebuild_row(f"peerpulse rebuild, round {i}", runs[-1], raws[-1]))
    raw = statistics.median(raws)
    stats = sorted(runs, key=lambda s: s.rate)[len(runs) // 2]
    out.append(_raw_row(f"raw aiokafka consume (same topic){median}", produced, raw))
    row = _rebuild_row(f"peerpulse rebuild (SQLite){median}", stats, raw)
    row.update(workers=default_workers(PARTITIONS), target=">= 20000", ok=stats.rate >= 20000)
    return out + [row]


def _raw_row(figure: str, events: int, rate: float) -> dict:
    return {"figure": figure, "events": events, "value": round(rate), "unit": "events/s"}


def _rebuild_row(figure: str, stats, raw: float) -> dict:
    return {
        "figure": figure,
        "events": stats.events,
        "groups": stats.groups,
        "seconds": round(stats.seconds, 1),
        "value": round(stats.rate),
        "unit": "events/s",
        "baseline": round(raw),
    }


def run() -> list[dict]:
    """Every figure at the target sizes (small with ``PEERPULSE_BENCH_QUICK=1``)."""
    from benchmarks._projection_memory import bench_memory
    from infra.broker import EmbeddedBroker, free_port

    broker = EmbeddedBroker(host="127.0.0.1", port=free_port()).start()
    try:
        results = bench_rebuild(broker.bootstrap)
        from benchmarks._projection_latency import bench_latency

        results += bench_latency(broker.bootstrap, LATENCY_SECONDS, RATE)
    finally:
        broker.stop()
    results.append(bench_memory(GROUPS))
    return results


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row), flush=True)

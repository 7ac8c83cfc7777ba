"""Projection benchmarks: rebuild throughput vs raw consume, live latency, memory.

``run()`` returns one dict per figure. Targets (issue 5): rebuild ≥ 20,000 events/s over
1,000,000 domain events, live p99 < 1 s at 200 msg/s, < 1 GiB with 100,000 groups.
``python -m benchmarks.projections [events]`` prints them.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2025, 1, 6, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def synthetic(n_events: int, events_per_group: int = 50):
    """``(key, value, headers)`` of a plausible domain history: form, join 5, weekly sessions."""
    produced = 0
    g = 0
    while produced < n_events:
        gid, v = str(uuid.UUID(int=g + 1)), 0
        members = [str(uuid.UUID(int=(g + 1) << 8 | i)) for i in range(5)]

        def ev(kind, at, _gid=gid, _prog=f"p{g % 20}", **data):
            nonlocal v
            v += 1
            doc = {"specversion": "1.0", "id": f"{_gid}:{v}", "source": "peerpulse/domain",
                   "type": f"peerpulse.{kind}.v1", "subject": _gid, "time": at.isoformat(),
                   "data": {"program_id": _prog, **data}}
            return _gid.encode(), json.dumps(doc).encode(), [("pp-aggregate-version", b"%d" % v)]

        at = T0 + timedelta(minutes=g % 1000)
        batch = [ev("group.formed", at, name=f"g{g}", cadence="weekly", goal="")]
        batch += [ev("member.joined", at, member_id=m, role="peer") for m in members]
        s = 0
        while len(batch) < events_per_group:
            s += 1
            at += timedelta(days=7)
            sid = f"{gid}-{s}"
            batch.append(ev("session.held", at, session_id=sid, present=members[:4],
                            absent=members[4:], excused=[]))
            for m in members[:2]:
                batch.append(ev("commitment.made", at, commitment_id=f"{sid}-{m}",
                                member_id=m, session_id=sid))
        yield from batch[: n_events - produced]
        produced += len(batch)
        g += 1


def produce(bootstrap: str, topic: str, records) -> None:
    """Fast keyed produce (confluent-kafka, murmur2 like kafka-python)."""
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                  "linger.ms": 20, "batch.num.messages": 10000, "acks": "all"})
    for i, (key, value, headers) in enumerate(records):
        while True:
            try:
                p.produce(topic, value=value, key=key, headers=headers)
                break
            except BufferError:
                p.poll(0.05)
        if i % 10000 == 0:
            p.poll(0)
    p.flush(60)


async def _raw_consume(bootstrap: str, topic: str, total: int) -> float:
    from aiokafka import AIOKafkaConsumer

    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                         enable_auto_commit=False, group_id=None,
                         max_partition_fetch_bytes=16 << 20)
    await c.start()
    seen, t = 0, time.perf_counter()
    try:
        while seen < total:
            for records in (await c.getmany(timeout_ms=500, max_records=20000)).values():
                seen += len(records)
    finally:
        await c.stop()
    return seen / (time.perf_counter() - t)


def bench_rebuild(bootstrap: str, n_events: int) -> list[dict]:
    """Produce ``n_events``, then time raw aiokafka consume and ``rebuild``."""
    from infra.settings import Settings
    from infra.topics import create_topics
    from projections.replay import rebuild
    from projections.wire import ProjectionTopics

    tag = uuid.uuid4().hex[:6]
    names = ProjectionTopics(f"b{tag}.events", f"b{tag}.health", f"b{tag}.alerts")
    create_topics(bootstrap, 3, names.catalogue())
    produce(bootstrap, names.events, synthetic(n_events))
    raw = asyncio.run(_raw_consume(bootstrap, names.events, n_events))
    data_dir = Path(tempfile.mkdtemp())
    settings = Settings(_env_file=None, data_dir=data_dir, kafka_bootstrap=bootstrap)
    stats = rebuild(settings, names, f"bench-{tag}", progress=False)
    return [
        {"figure": "raw aiokafka consume", "events": n_events, "events_per_s": round(raw)},
        {"figure": "rebuild", "events": stats.events, "groups": stats.groups,
         "seconds": round(stats.seconds, 1), "events_per_s": round(stats.rate),
         "target": ">= 20000", "ok": stats.rate >= 20000},
    ]


def bench_memory(groups: int = 100_000) -> dict:
    """Peak RSS of a fresh process projecting ``groups`` groups (20 events each)."""
    code = (
        "import resource,sys;sys.path.insert(0,%r);"  # noqa: UP031
        "from benchmarks.projections import synthetic;from projections.events import decode;"
        "from projections.engine import Projector,Outputs;p=Projector()\n"
        "for i,(k,v,h) in enumerate(synthetic(%d*20,20)):\n"
        " o=Outputs();p.process(decode(v,h,0,i),o)\n"
        "print(len(p.groups),resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    ) % (str(ROOT), groups)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    n, kib = out.stdout.split()
    mib = int(kib) / 1024
    return {"figure": "projector memory", "groups": int(n), "peak_rss_mib": round(mib),
            "target": "< 1024", "ok": mib < 1024}


def run(n_events: int = 1_000_000, memory_groups: int = 100_000) -> list[dict]:
    """Every figure; starts its own embedded broker."""
    from infra.broker import EmbeddedBroker, free_port

    broker = EmbeddedBroker(host="127.0.0.1", port=free_port()).start()
    try:
        results = bench_rebuild(broker.bootstrap, n_events)
    finally:
        broker.stop()
    results.append(bench_memory(memory_groups))
    return results


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    g = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    os.environ.setdefault("PYTHONHASHSEED", "0")
    for row in run(n, g):
        print(json.dumps(row))
    resource.getrusage(resource.RUSAGE_SELF)

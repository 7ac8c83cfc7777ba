"""Ingest throughput (topic -> committed events) beside raw consume and raw store writes.

One embedded Tansu broker; per store (SQLite file, PostgreSQL fresh schema):
- ``raw consume``: a kafka-python consumer reading the topic, no decoding;
- ``raw store write``: pre-built stored events inserted in batches of 500;
- ``ingest``: :class:`consumers.ingest.consumer.IngestConsumer` from first poll until
  every message's position is committed with its events (marks/s);
- ``latency``: a producer at a steady 200 msg/s; publish (record timestamp) -> commit,
  p50/p99 over the run;
- PostgreSQL only, ``N process(es)``: ``peerpulse ingest`` run as 1, then 2 processes
  sharing a 6-partition copy of the topic (decision 0024), timed from the first commit
  until every position is committed; ``cpu_s`` is the processes' CPU time (user + system)
  over the same span. On this 2-core machine the broker and PostgreSQL share the cores.
``run()`` returns one dict per case. Target: ingest >= 5,000 marks/s on PostgreSQL.
Figures before/after the trusted aggregate cache: docs/decisions/0001 (item 7-8).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from infra.broker import EmbeddedBroker, free_port
from infra.settings import Settings
from infra.vault import MemoryVault
from peerpulse.build import build

N = 20_000
PG_DSN = os.environ.get("PEERPULSE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def _settings(store: str, tmp: Path, bootstrap: str) -> Settings:
    schema = ""
    if store == "postgres":
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    return Settings(
        _env_file=None,
        data_dir=tmp / uuid.uuid4().hex[:6],
        store=store,
        postgres_dsn=PG_DSN,
        postgres_schema=schema,
        kafka_bootstrap=bootstrap,
    )


def _drop(settings: Settings) -> None:
    if settings.postgres_schema:
        import psycopg

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{settings.postgres_schema}" CASCADE')


def _raw_consume(bootstrap: str, topic: str, n: int) -> dict[str, Any]:
    from infra.kafka import consumer

    c = consumer(bootstrap, None, max_poll_records=1000)
    from kafka import TopicPartition

    c.assign([TopicPartition(topic, p) for p in range(3)])
    started, seen = time.perf_counter(), 0
    while seen < n:
        seen += sum(len(r) for r in c.poll(timeout_ms=200).values())
    took = time.perf_counter() - started
    c.close(autocommit=False)
    return {
        "case": "raw consume",
        "messages": n,
        "seconds": round(took, 3),
        "per_s": round(n / took),
    }


def _raw_write(settings: Settings, n: int) -> dict[str, Any]:
    from eventsourcing.persistence import StoredEvent

    container = build(settings, vault=MemoryVault())
    recorder = container.app.recorder
    state = b'{"session_id":"x","member_id":"y","status":"present"}'
    batches = [[StoredEvent(uuid.uuid4(), 1, "bench:Event", state) for _ in range(500)]
               for _ in range(n // 500)]  # fmt: skip
    started = time.perf_counter()
    for batch in batches:
        recorder.insert_events(batch)
    took = time.perf_counter() - started
    container.close()
    return {
        "case": "raw store write",
        "events": n,
        "seconds": round(took, 3),
        "per_s": round(n / took),
    }


def _ingest(settings: Settings, topic: str, n: int) -> tuple[dict[str, Any], Any, Any]:
    from tests.integration.ingest_kit import positions

    container = build(settings, vault=MemoryVault())
    ingest = container.ingest_consumer(topic, f"{topic}.dlq", f"bench-{uuid.uuid4().hex[:6]}")
    ingest.start()
    thread = threading.Thread(target=ingest.run, daemon=True)
    started = time.perf_counter()
    thread.start()
    first, base = None, 0
    while positions(container.app, topic) < n:
        if first is None and ingest.applied:
            first, base = time.perf_counter(), positions(container.app, topic)
        time.sleep(0.02)
    took = time.perf_counter() - (first or started)
    rate = round((n - base) / took)  # timed from the first commit: the group join is apart
    row = {"case": "ingest", "messages": n, "seconds": round(took, 3), "per_s": rate,
           "join_s": round((first or started) - started, 3)}  # fmt: skip
    return row, container, (ingest, thread)


def _latency(settings: Settings, bootstrap: str, running: Any, seconds: float = 10.0) -> dict:
    """Steady 200 msg/s into a new partition set of the running consumer's topic."""
    from consumers.ingest.consumer import IngestConsumer
    from infra.kafka import producer
    from tests.integration.ingest_kit.stream import synthetic_stream

    ingest, _ = running
    latencies: list[float] = []
    original = IngestConsumer.process

    def timed(self: Any, tp: Any, records: list[Any]) -> None:
        original(self, tp, records)
        done = time.time()
        latencies.extend(done - r.timestamp / 1000 for r in records)

    ingest.process = timed.__get__(ingest)
    stream = synthetic_stream(int(200 * seconds) + 1400)[1400:]
    p = producer(bootstrap, linger_ms=0)
    start = time.perf_counter()
    for i, (key, value) in enumerate(stream):
        p.send(ingest.topic, key=key, value=value)
        p.flush()
        delay = start + (i + 1) / 200 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    deadline = time.perf_counter() + 30
    while len(latencies) < len(stream) and time.perf_counter() < deadline:
        time.sleep(0.05)
    p.close()
    ordered = sorted(latencies)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)  # noqa: E731
    return {
        "case": "latency @200 msg/s",
        "messages": len(ordered),
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
    }


def _processes(settings: Settings, topic: str, n: int, count: int, tmp: Path) -> dict[str, Any]:
    """``count`` ``peerpulse ingest`` processes sharing ``topic`` (6 partitions)."""
    import subprocess
    import sys

    from tests.integration.ingest_kit import positions
    from tests.integration.relay_kit import relay_env

    container = build(settings, vault=MemoryVault())  # the store, migrated, to read positions
    group = f"bench-{uuid.uuid4().hex[:6]}"
    cmd = [sys.executable, "-m", "peerpulse", "ingest", "--topic", topic, "--dlq-topic",
           f"{topic}.dlq", "--group-id", group]  # fmt: skip
    procs = [subprocess.Popen(cmd, env=relay_env(settings), cwd=tmp, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(count)]  # fmt: skip
    started, first, base, cpu_then = time.perf_counter(), None, 0, 0.0
    try:
        while (done := positions(container.app, topic, 6)) < n:
            if first is None and done:
                first, base = time.perf_counter(), done
                cpu_then = sum(_cpu_seconds(p.pid) for p in procs)
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"an ingest process exited: {[p.returncode for p in procs]}")
            time.sleep(0.05)
        took = time.perf_counter() - (first or started)
        cpu = sum(_cpu_seconds(p.pid) for p in procs) - cpu_then
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        container.close()
    return {"case": f"{count} process" + ("es" if count > 1 else ""), "messages": n,
            "seconds": round(took, 3), "per_s": round((n - base) / took),
            "join_s": round((first or started) - started, 3), "cpu_s": round(cpu, 2)}  # fmt: skip


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(stores: tuple[str, ...] = ("sqlite", "postgres"), n: int = N) -> list[dict[str, Any]]:
    """Measure every case on every store; one embedded broker for the run."""
    from infra.topics import Topic, create_topics
    from tests.integration.ingest_kit import publish
    from tests.integration.ingest_kit.stream import synthetic_stream

    rows: list[dict[str, Any]] = []
    broker = EmbeddedBroker(host="127.0.0.1", port=free_port())
    broker.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for store in stores:
                topic = f"bench.attendance.{uuid.uuid4().hex[:8]}"
                create_topics(
                    broker.bootstrap,
                    3,
                    (Topic(topic, "k", "v", "bench"), Topic(f"{topic}.dlq", "k", "v", "bench")),
                )
                publish(broker.bootstrap, topic, synthetic_stream(n))
                raw_settings = _settings(store, Path(tmp), broker.bootstrap)
                settings = _settings(store, Path(tmp), broker.bootstrap)
                found = [_raw_consume(broker.bootstrap, topic, n), _raw_write(raw_settings, n)]
                ingest_row, container, running = _ingest(settings, topic, n)
                found += [ingest_row, _latency(settings, broker.bootstrap, running)]
                running[0].stop()
                running[1].join(30)
                running[0].kafka.close(autocommit=False)
                container.close()
                for s in (raw_settings, settings):
                    _drop(s)
                if store == "postgres":
                    shared = f"{topic}.x6"
                    pair = (Topic(shared, "k", "v", "b"), Topic(f"{shared}.dlq", "k", "v", "b"))
                    create_topics(broker.bootstrap, 6, pair)
                    publish(broker.bootstrap, shared, synthetic_stream(n))
                    for count in (1, 2):
                        s = _settings(store, Path(tmp), broker.bootstrap)
                        try:
                            found.append(_processes(s, shared, n, count, Path(tmp)))
                        finally:
                            _drop(s)
                rows += [{"store": store, **r} for r in found]
    finally:
        broker.stop()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)

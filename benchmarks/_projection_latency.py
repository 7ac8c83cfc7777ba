"""Live latency, publish → read model, of the projection worker running as its own process.

The worker is ``python -m peerpulse worker`` (PEERPULSE_* settings, unique topic names, a
SQLite read model). A producer thread publishes realistic events (with clock ticks) at a
steady rate, noting each record's publish time and its ``(partition, offset)``; a poller
reads the read model's ``projector_checkpoint`` every few milliseconds: a record is in the
read model once its partition's checkpoint has passed its offset (rows and checkpoint are
committed in one transaction, decision 0006). Latency = first seen − published.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from benchmarks._projection_events import history
from infra.settings import Settings

PARTITIONS = 3
POLL = 0.005


def _start_worker(bootstrap: str, data_dir: Path, names) -> subprocess.Popen:
    from tests.integration.projection_kit import start_worker

    settings = Settings(_env_file=None, data_dir=data_dir, kafka_bootstrap=bootstrap)
    return start_worker(settings, names, f"lat-{uuid.uuid4().hex[:6]}", quiet=True)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class _Checkpoint:
    """Reads the worker's checkpoint from its SQLite read model."""

    def __init__(self, path: Path, topic: str) -> None:
        self.path, self.topic, self.conn = path, topic, None

    def read(self) -> dict[int, int]:
        if self.conn is None:
            if not self.path.exists():
                return {}
            self.conn = sqlite3.connect(self.path, timeout=5)
        try:
            rows = self.conn.execute(
                'SELECT "partition", next_offset FROM projector_checkpoint WHERE topic = ?',
                (self.topic,),
            ).fetchall()
        except sqlite3.OperationalError:
            return {}
        return dict(rows)


def _publish(bootstrap: str, topic: str, rate: float, seconds: float, sent: list) -> None:
    """Send ``rate`` records/s for ``seconds``; append ``(partition, offset, published)``."""
    from infra.kafka import producer

    p = producer(bootstrap, linger_ms=0)
    records = history(2_000, weeks=20, partitions=PARTITIONS)
    start, n, futures = time.perf_counter(), 0, []
    while n < rate * seconds:
        due = start + n / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        key, value, headers, part = next(records)
        published = time.time()
        futures.append(
            (p.send(topic, key=key, value=value, headers=headers, partition=part), published)
        )
        n += 1
    p.flush()
    for future, published in futures:
        md = future.get(timeout=30)
        sent.append((md.partition, md.offset, published))
    p.close()


def _percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def bench_latency(bootstrap: str, seconds: float = 60, rate: float = 200) -> list[dict]:
    """p50/p99 publish → read-model latency at a steady ``rate`` msg/s."""
    from infra.settings import Settings
    from infra.topics import create_topics
    from projections.worker.wire import ProjectionTopics

    tag = uuid.uuid4().hex[:6]
    names = ProjectionTopics(f"l{tag}.events", f"l{tag}.health", f"l{tag}.alerts")
    create_topics(bootstrap, PARTITIONS, names.catalogue())
    data_dir = Path(tempfile.mkdtemp(prefix="pp-lat-"))
    db = Settings(_env_file=None, data_dir=data_dir).readmodel_sqlite_path
    proc = _start_worker(bootstrap, data_dir, names)
    try:
        cp = _Checkpoint(db, names.events)
        _warm_up(bootstrap, names.events, cp, proc)
        base = cp.read()
        sent: list = []
        seen: dict[tuple[int, int], float] = {}
        t = threading.Thread(target=_publish, args=(bootstrap, names.events, rate, seconds, sent))
        t.start()
        last = dict(base)
        deadline = time.monotonic() + seconds + 60
        while time.monotonic() < deadline and (t.is_alive() or len(seen) < len(sent)):
            now, pos = time.time(), cp.read()
            for part, nxt in pos.items():
                for off in range(last.get(part, 0), nxt):
                    seen.setdefault((part, off), now)
                last[part] = nxt
            time.sleep(POLL)
        t.join()
    finally:
        _stop(proc)
    lat = [seen[(p, o)] - at for p, o, at in sent if (p, o) in seen]
    p50, p99 = _percentile(lat, 0.5), _percentile(lat, 0.99)
    return [
        {
            "figure": f"live latency publish → read model at {rate:.0f} msg/s",
            "events": len(sent),
            "seen": len(lat),
            "p50_ms": round(p50 * 1000, 1),
            "value": round(p99 * 1000, 1),
            "unit": "ms (p99)",
            "max_ms": round(max(lat, default=float("nan")) * 1000, 1),
            "target": "p99 < 1000",
            "ok": len(lat) == len(sent) and p99 < 1.0,
        }
    ]


def _warm_up(bootstrap: str, topic: str, cp: _Checkpoint, proc: subprocess.Popen) -> None:
    """Wait until the worker has joined and committed a first record on every partition."""
    from infra.kafka import producer

    p = producer(bootstrap)
    for part in range(PARTITIONS):
        p.send(
            topic,
            key=b"warm-up",
            value=b'{"type":"peerpulse.bench.warm-up.v1",'
            b'"time":"2025-01-01T00:00:00+00:00","subject":"warm-up"}',
            partition=part,
        )
    p.flush()
    p.close()
    deadline = time.monotonic() + 120
    while len(cp.read()) < PARTITIONS:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the projection worker did not start")
        time.sleep(0.1)

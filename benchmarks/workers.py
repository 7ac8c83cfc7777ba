"""Projection workers sharing a topic (issue 15): 1-3 workers; full: 200k events, 100k groups.

One embedded broker, one events topic of 6 partitions pre-produced with
:func:`benchmarks._projection_events.synthetic`; each case beside a raw aiokafka consume of
the same topic run just before it (``baseline`` events/s, ``raw_per_cpu_s``):
- ``live catch-up, N workers``: N ``peerpulse worker`` processes in one consumer group on
  a fresh PostgreSQL schema, from the first partition claim to every partition's checkpoint
  at its end offset (``settle_s``: first claim until the partitions are split evenly);
  ``cpu_s``: the worker processes' user + system CPU over that span; ``pg_cpu_s``: that of
  the PostgreSQL backends serving them; ``pg_backends``: how often they were idle (waiting
  for the workers), on CPU or waiting on a lock or I/O (sampled every ~50 ms);
- ``rebuild, N processes``: :func:`projections.worker.rebuild.rebuild` with ``workers=N``
  into a fresh PostgreSQL schema; ``cpu_s``: this process and its feeds (reaped children);
- ``worker memory, 1 of N``: a fresh process that has imported the worker restores what
  worker 0 of N owns as faust assigns (round robin: partitions 0, N, 2N, ...) through
  ``ProjectionRunner(restore=False).assign``, from a SQLite read model of ``GROUPS`` group
  states stored with their partition (Kafka's murmur2 of the group id); ``state_mib``: RSS
  above a process that assigned none; ``baseline``: the RSS of 1 of 1.
On this 2-core machine the broker, PostgreSQL and the workers share the cores:
``broker_cpu_s`` is the broker's CPU over the span, ``busy_cores`` the whole machine's and
``other_cpu_s`` the rest (other processes on the machine; PostgreSQL in a rebuild).
Sizes: ``size`` says full (200,000 events, 100,000 groups) or quick
(``PEERPULSE_BENCH_QUICK=1``: 30,000 and 5,000). ``--only workers`` runs it.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import suppress
from pathlib import Path

from benchmarks._projection_memory import ROOT, _template_states
from benchmarks.ingest import PG_DSN, _cpu_seconds, _drop

PARTITIONS = 6
COUNTS = (1, 2, 3)
QUICK = os.environ.get("PEERPULSE_BENCH_QUICK", "") not in ("", "0")
EVENTS = 30_000 if QUICK else 200_000
GROUPS = 5_000 if QUICK else 100_000
SIZE = "quick" if QUICK else "full"


def run() -> list[dict]:
    """Live and rebuild throughput for 1, 2 and 3 workers, then worker memory."""
    from infra.broker import EmbeddedBroker, free_port

    broker = EmbeddedBroker(host="127.0.0.1", port=free_port()).start()
    try:
        names, ends = _topic(broker.bootstrap)
        pid = broker._proc.pid  # its CPU is part of the cost on these 2 cores
        rows = []
        for case in [_live(n) for n in COUNTS] + [_rebuild(n) for n in COUNTS]:
            rows.append(_beside_raw(broker.bootstrap, names.events, ends, case, pid))
    finally:
        broker.stop()
    return rows + _memory(GROUPS)


def _topic(bootstrap: str):
    """A fresh 6-partition events topic holding ``EVENTS`` records; its end offsets."""
    from kafka import TopicPartition

    from benchmarks._projection_events import synthetic
    from benchmarks.projections import produce
    from infra.kafka import end_offsets
    from infra.topics import create_topics
    from projections.worker.wire import ProjectionTopics

    tag = uuid.uuid4().hex[:6]
    names = ProjectionTopics(f"w{tag}.events", f"w{tag}.health", f"w{tag}.alerts")
    create_topics(bootstrap, PARTITIONS, names.catalogue())
    produce(bootstrap, names.events, synthetic(EVENTS, partitions=PARTITIONS))
    tps = [TopicPartition(names.events, p) for p in range(PARTITIONS)]
    return names, {tp.partition: o for tp, o in end_offsets(bootstrap, tps).items()}


def _beside_raw(bootstrap: str, topic: str, ends: dict[int, int], case, broker: int) -> dict:
    """Raw consume of the whole topic, then the case (a callable returning its row)."""
    from benchmarks.projections import _raw_consume

    total = sum(ends.values())
    cpu = time.process_time()
    rate = asyncio.run(_raw_consume(bootstrap, topic, total))
    raw_cpu = time.process_time() - cpu
    row = case(bootstrap, topic, ends, broker)
    row.update(baseline=round(rate), raw_per_cpu_s=round(total / raw_cpu))
    return row


def _settings(bootstrap: str):
    """Settings on a fresh PostgreSQL schema (the read model of one case)."""
    import psycopg

    from infra.settings import Settings

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return Settings(
        _env_file=None,
        data_dir=Path(tempfile.mkdtemp(prefix="pp-scale-")),
        store="postgres",
        postgres_dsn=PG_DSN,
        postgres_schema=schema,
        kafka_bootstrap=bootstrap,
        topic_partitions=PARTITIONS,
    )


def _row(figure: str, n: int, events: int, seconds: float, cpu: float) -> dict:
    return {"figure": figure, "size": SIZE, "workers": n, "store": "postgres", "events": events,
            "seconds": round(seconds, 2), "value": round(events / seconds), "unit": "events/s",
            "cpu_s": round(cpu, 2), "per_cpu_s": round(events / cpu)}  # fmt: skip


def _live(n: int):
    """N ``peerpulse worker`` processes catching up the whole topic."""

    def case(bootstrap: str, topic: str, ends: dict[int, int], broker: int) -> dict:
        from projections.readmodel.store import ReadModel

        settings = _settings(bootstrap)
        readmodel = ReadModel(settings).open()
        procs, pg = _start_workers(settings, topic, n), _Postgres()
        try:
            row = _catch_up(readmodel, topic, ends, procs, pg, broker)
        finally:
            _stop(procs)
            pg.close()
            readmodel.close()
            _drop(settings)
        shutil.rmtree(settings.data_dir)  # kept on failure: the workers' logs are there
        return row

    return case


def _start_workers(settings, topic: str, n: int) -> list[subprocess.Popen]:
    from peerpulse.commands.up import settings_env

    base = topic.removesuffix(".events")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **settings_env(settings)}
    cmd = [sys.executable, "-m", "peerpulse", "worker", "--events-topic", topic,
           "--group-health-topic", f"{base}.health", "--alerts-topic", f"{base}.alerts",
           "--group-id", f"bench-{uuid.uuid4().hex[:6]}"]  # fmt: skip
    logs = [(settings.data_dir / f"worker-{i}.log").open("w") for i in range(n)]
    return [subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log) for log in logs]


def _catch_up(
    readmodel, topic: str, ends: dict[int, int], procs: list, pg: _Postgres, broker: int
) -> dict:
    """Poll the checkpoint table from the first claim until every partition is at its end."""
    spawned, first, settled, cpu_then, base = time.perf_counter(), None, None, 0.0, 0
    deadline, n = spawned + max(180.0, sum(ends.values()) / 300), len(procs)
    while True:
        at, owners, now = readmodel.checkpoint(topic), readmodel.owners(topic), time.perf_counter()
        if first is None and owners:
            first, base, machine = now, sum(at.values()), _Machine(broker)
            cpu_then = sum(_cpu_seconds(p.pid) for p in procs)
            pg.serving(procs)
        if settled is None and _even(owners, n):
            settled = now
            pg.serving(procs)  # every worker has connected by now
        if all(at.get(p, 0) >= end for p, end in ends.items()):
            break
        if any(p.poll() is not None for p in procs) or now > deadline:
            raise RuntimeError(f"workers exited or stalled: {[p.poll() for p in procs]},"
                               f" checkpoint {at}, owners {owners}")  # fmt: skip
        pg.sample()
        time.sleep(0.05)
    cpu = sum(_cpu_seconds(p.pid) for p in procs) - cpu_then
    row = _row(f"live catch-up, {n} worker(s)", n, sum(ends.values()) - base, now - first, cpu)
    pg_cpu = pg.cpu()
    row.update(pg_cpu_s=pg_cpu, **machine.figures(now - first, cpu + pg_cpu),
               pg_backends=pg.waits(), join_s=round(first - spawned, 2),
               settle_s=round(settled - first, 2) if settled else "never")  # fmt: skip
    return row


class _Postgres:
    """The PostgreSQL backends serving the workers: their CPU, and what they wait on."""

    def __init__(self) -> None:
        import psycopg

        self.conn = psycopg.connect(PG_DSN, autocommit=True)
        self.then: dict[int, float] = {}
        """CPU seconds of each backend when found."""
        self.seen: Counter[str] = Counter()

    def serving(self, procs: list[subprocess.Popen]) -> None:
        """Find the backends by the client ports of the workers' sockets to the server."""
        inodes = set()
        for proc in procs:
            for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
                with suppress(OSError):  # closed since listed
                    if (link := os.readlink(fd)).startswith("socket:["):
                        inodes.add(link[8:-1])
        ports = [int(f[1].rsplit(":", 1)[1], 16) for t in ("tcp", "tcp6")
                 for f in (ln.split() for ln in Path(f"/proc/net/{t}").read_text().splitlines()[1:])
                 if f[9] in inodes and f[2].endswith(f":{5432:04X}")]  # fmt: skip
        sql = "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)"
        for (pid,) in self.conn.execute(sql, (ports,)).fetchall():
            self.then.setdefault(pid, _cpu_seconds(pid))

    def sample(self) -> None:
        """Count each backend's state now: on CPU, waiting (by wait type), or idle."""
        sql = "SELECT state, wait_event_type FROM pg_stat_activity WHERE pid = ANY(%s)"
        for state, wait in self.conn.execute(sql, (list(self.then),)):
            self.seen["idle" if state != "active" else wait or "cpu"] += 1

    def cpu(self) -> float:
        """CPU seconds of the backends since :meth:`serving` found them."""
        now = {pid: _cpu_seconds(pid) for pid in self.then if Path(f"/proc/{pid}").exists()}
        return round(sum(cpu - self.then[pid] for pid, cpu in now.items()), 2)

    def waits(self) -> str:
        """Share of samples per state, e.g. ``idle 60% cpu 25% Lock 15%``."""
        total = sum(self.seen.values()) or 1
        return " ".join(f"{k} {v / total:.0%}" for k, v in self.seen.most_common())

    def close(self) -> None:
        self.conn.close()


class _Machine:
    """CPU spent over a timed span by the broker, and by the whole machine."""

    def __init__(self, broker: int) -> None:
        self.pid, self.busy, self.broker = broker, _busy(), _cpu_seconds(broker)

    def figures(self, seconds: float, measured: float) -> dict:
        """``busy_cores`` (every process), ``broker_cpu_s``, and ``other_cpu_s``: the CPU
        of everything else (besides ``measured``: other helpers, this poller...)."""
        busy, broker = _busy() - self.busy, _cpu_seconds(self.pid) - self.broker
        return {"broker_cpu_s": round(broker, 2), "busy_cores": round(busy / seconds, 2),
                "other_cpu_s": round(busy - broker - measured, 1)}  # fmt: skip


def _busy() -> float:
    """CPU seconds spent by the whole machine (every core, every process) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _even(owners: dict[int, str], n: int) -> bool:
    """Every partition claimed, by ``n`` owners holding equal shares."""
    shares = Counter(owners.values())
    even = set(shares.values()) == {PARTITIONS // n}
    return len(owners) == PARTITIONS and len(shares) == n and even


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _rebuild(n: int):
    """``rebuild(workers=N)`` of the whole topic into a fresh schema."""

    def case(bootstrap: str, topic: str, ends: dict[int, int], broker: int) -> dict:
        from projections.worker.rebuild import rebuild
        from projections.worker.wire import ProjectionTopics

        base = topic.removesuffix(".events")
        names = ProjectionTopics(topic, f"{base}.health", f"{base}.alerts")
        settings = _settings(bootstrap)
        try:
            cpu, machine, started = _cpu_with_children(), _Machine(broker), time.perf_counter()
            stats = rebuild(settings, names, "bench", progress=False, workers=n)
            took, cpu = time.perf_counter() - started, _cpu_with_children() - cpu
            figures = machine.figures(took, cpu)
        finally:
            _drop(settings)
            shutil.rmtree(settings.data_dir, ignore_errors=True)
        row = _row(f"rebuild, {n} process(es)", n, stats.events, took, cpu)
        row.update(pg_cpu_s="in other", **figures)
        return row

    return case


def _cpu_with_children() -> float:
    """User + system CPU of this process and of its reaped children (rebuild's feeds)."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


_LOAD = """
import gc, sys
from pathlib import Path
import projections.worker.app  # the worker's imports (faust, aiokafka) count too
from infra.settings import Settings
from projections.readmodel.store import ReadModel
from projections.worker.runner import ProjectionRunner
rm = ReadModel(Settings(_env_file=None, data_dir=Path(sys.argv[1]))).open()
runner = ProjectionRunner(rm, "events", restore=False)
parts = {int(p) for p in sys.argv[2].split(",") if p}
if parts:
    runner.assign(parts, "bench")
gc.collect()
kib = {k: v.split()[0] for k, _, v in (ln.partition(":") for ln in open("/proc/self/status"))
       if k in ("VmRSS", "VmHWM")}
print(len(runner.projector.groups), kib["VmRSS"], kib["VmHWM"])  # HWM: ru_maxrss keeps the parent's
"""


def _memory(groups: int) -> list[dict]:
    """RSS of worker 0 of N after restoring its partitions' groups, N = 1, 2, 3."""
    data_dir = Path(tempfile.mkdtemp(prefix="pp-scale-mem-"))
    try:
        _store(data_dir, groups)
        _, base, _ = _load(data_dir, set())
        loads = {n: _load(data_dir, set(range(0, PARTITIONS, n))) for n in COUNTS}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    rows, whole = [], None
    for n, (owned, rss, peak) in loads.items():
        whole = whole or rss
        rows.append({"figure": f"worker memory, 1 of {n}", "size": SIZE, "workers": n,
                     "groups": owned, "value": round(rss), "unit": "MiB RSS",
                     "peak_mib": round(peak), "state_mib": round(rss - base),
                     "baseline": round(whole),
                     "mib_per_1000_groups": round((rss - base) / owned * 1000, 2)})  # fmt: skip
    rows.append({"figure": "worker memory, no partitions (imports)", "workers": 0,
                 "value": round(base), "unit": "MiB RSS"})  # fmt: skip
    return rows


def _load(data_dir: Path, partitions: set[int]) -> tuple[int, float, float]:
    """Groups restored, RSS and peak RSS (MiB) of a fresh process owning ``partitions``."""
    arg = ",".join(str(p) for p in sorted(partitions))
    out = subprocess.run([sys.executable, "-c", _LOAD, str(data_dir), arg],
                         capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
    n, rss_kib, peak_kib = (int(x) for x in out.stdout.split())
    return n, rss_kib / 1024, peak_kib / 1024


def _store(data_dir: Path, groups: int) -> None:
    """``groups`` realistic group states (templates under fresh ids), each stored with the
    partition its id hashes to, as the worker stores them."""
    from kafka.partitioner.default import murmur2

    from infra.settings import Settings
    from projections.readmodel.batch import Batch
    from projections.readmodel.store import ReadModel

    templates = [(gid, _moved(body)) for _, gid, body in _template_states()]
    rm = ReadModel(Settings(_env_file=None, data_dir=data_dir)).open()
    try:
        for start in range(0, groups, 20_000):
            batch = Batch()
            for i in range(start, min(groups, start + 20_000)):
                gid, bodies = templates[i % len(templates)]
                new = str(uuid.UUID(int=(0xE << 120) | i))
                part = (murmur2(new.encode()) & 0x7FFFFFFF) % PARTITIONS
                batch.states[("group", new)] = bodies[part].replace(gid.encode(), new.encode())
                batch.state_partitions[("group", new)] = part
            rm.write(batch)
    finally:
        rm.close()


def _moved(body: bytes) -> list[bytes]:
    """One pickled group state per partition: the template with its partition set."""
    out = []
    for part in range(PARTITIONS):
        state = pickle.loads(body)
        state.partition = part
        out.append(pickle.dumps(state, protocol=5))
    return out

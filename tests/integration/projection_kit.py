"""Shared helpers of the projection-worker tests: group histories, publishing them with
ticks, the worker as a process, waiting for its checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from infra.kafka import producer, read_all
from infra.settings import Settings
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.wire import ProjectionTopics
from tests.unit.projections.builder import T0, Clock, GroupScript, ticks, weekly

PARTITIONS = 3


def histories() -> list[GroupScript]:
    """A steady group, a group that stops, one with a lapse, one that comes back; the
    coordinator messages the lapsing group and calls the one that comes back (decision
    0019: their flag episodes carry an intervention)."""
    steady, stop, lapse, back = (GroupScript(n) for n in ("steady", "stop", "lapse", "back"))
    for at in weekly(T0, 12):
        steady.session(at, commitments=3, kept=2)
    for at in weekly(T0, 4):
        stop.session(at, commitments=2, kept=1)
        back.session(at, commitments=2, kept=1)
    for at in weekly(T0 + timedelta(days=28), 2):  # thinning: two come, nobody commits
        back.session(at, present=2)
    back.intervene(T0 + timedelta(days=49), "call")  # in the silence
    for at in weekly(T0 + timedelta(days=35 + 16), 4):  # then, after a silence, back in full
        back.session(at, commitments=2, kept=1)
    lapse.session(T0, present=2)
    lapse.lapse(T0 + timedelta(days=1), lapse.members[4])
    lapse.emit(
        "member.reengaged", T0 + timedelta(days=9), member_id=lapse.members[4], session_id="s"
    )
    lapse.intervene(T0 + timedelta(days=12), "message")
    return [steady, stop, lapse, back]


def publish(
    bootstrap: str, topic: str, groups: list[GroupScript], clock: Clock, start, end
) -> None:
    """Each group's events keyed by group; every tick to every partition, in time order."""
    p = producer(bootstrap)
    streams = [
        (e["time"], i, e)
        for i, g in enumerate(groups)
        for e in g.events
        if start <= e["time"] < end
    ]
    tick_events = [
        (e["time"], -1, e)
        for e in ticks(clock, T0, T0 + timedelta(days=84))
        if start <= e["time"] < end
    ]
    for _, _, e in sorted(streams + tick_events, key=lambda x: (x[0], x[1])):
        headers = [
            ("pp-aggregate-version", e["id"].rsplit(":", 1)[1].encode()),
            ("pp-type", e["type"].encode()),
        ]
        value = json.dumps(e).encode()
        if e["type"] == "peerpulse.clock.ticked.v1":
            for part in range(PARTITIONS):
                p.send(topic, key=b"clock", value=value, headers=headers, partition=part)
        else:
            p.send(topic, key=e["subject"].encode(), value=value, headers=headers)
    p.flush()
    p.close()


def start_worker(
    settings: Settings,
    names: ProjectionTopics,
    group: str,
    *,
    quiet: bool = False,
    capture: bool = False,
) -> subprocess.Popen:
    """``peerpulse worker`` as its own process on the test's topics (``quiet``: no output;
    ``capture``: its stderr in ``proc.stderr``)."""
    env = {
        **os.environ,
        "PEERPULSE_DATA_DIR": str(settings.data_dir),
        "PEERPULSE_STORE": "sqlite",
        "PEERPULSE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "PEERPULSE_TOPIC_PARTITIONS": str(PARTITIONS),
    }
    cmd = [
        sys.executable,
        "-m",
        "peerpulse.cli",
        "worker",
        "--events-topic",
        names.events,
        "--group-health-topic",
        names.group_health,
        "--alerts-topic",
        names.alerts,
        "--group-id",
        group,
    ]
    out = subprocess.DEVNULL if quiet else None
    err = subprocess.PIPE if capture else out
    return subprocess.Popen(cmd, env=env, cwd=Path(__file__).parents[2], stdout=out, stderr=err)


def stop_worker(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for_checkpoint(
    settings: Settings,
    names: ProjectionTopics,
    total: int,
    proc: subprocess.Popen,
    timeout: float = 90,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "worker exited early"
        if settings.readmodel_sqlite_path.exists():
            rm = ReadModel(settings).open()
            try:
                if sum(rm.checkpoint(names.events).values()) >= total:
                    return
            finally:
                rm.close()
        time.sleep(0.5)
    raise AssertionError("worker did not reach the end of the events topic in time")


def topic_total(bootstrap: str, topic: str) -> int:
    return len(read_all(bootstrap, topic))


def table_rows(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of every dashboard table (not the projector's own bookkeeping), by table."""
    rm = ReadModel(settings).open()
    try:
        return {t.name: rm.rows(t) for t in T.READ_MODEL}
    finally:
        rm.close()

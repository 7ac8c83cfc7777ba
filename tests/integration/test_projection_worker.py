"""The projection worker as its own process on the embedded broker, and rebuild parity."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from infra.kafka import producer, read_all
from infra.settings import Settings
from infra.topics import create_topics
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.rebuild import rebuild
from projections.worker.wire import ProjectionTopics
from tests.unit.projections.builder import T0, Clock, GroupScript, ticks, weekly

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
PARTITIONS = 3


def histories() -> list[GroupScript]:
    """A steady group, a group that stops, one with a lapse, one that comes back."""
    steady, stop, lapse, back = (GroupScript(n) for n in ("steady", "stop", "lapse", "back"))
    for at in weekly(T0, 12):
        steady.session(at, commitments=3, kept=2)
    for at in weekly(T0, 4):
        stop.session(at, commitments=2, kept=1)
        back.session(at, commitments=2, kept=1)
    back.session(T0 + timedelta(days=21 + 20), commitments=2)
    lapse.session(T0, present=2)
    lapse.lapse(T0 + timedelta(days=1), lapse.members[4])
    lapse.emit(
        "member.reengaged", T0 + timedelta(days=9), member_id=lapse.members[4], session_id="s"
    )
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
        "infra.cli",
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


@pytest.fixture
def names(kafka_bootstrap: str) -> ProjectionTopics:
    tag = uuid.uuid4().hex[:8]
    n = ProjectionTopics(f"t{tag}.events", f"t{tag}.health", f"t{tag}.alerts")
    create_topics(kafka_bootstrap, PARTITIONS, n.catalogue())
    return n


def test_worker_process_projects_resumes_and_matches_rebuild(kafka_bootstrap, names, tmp_path):
    live = Settings(
        _env_file=None,
        data_dir=tmp_path / "live",
        kafka_bootstrap=kafka_bootstrap,
        topic_partitions=PARTITIONS,
    )
    groups, clock, group_id = histories(), Clock(), f"w-{uuid.uuid4().hex[:6]}"
    middle = (T0 + timedelta(days=30)).isoformat()
    publish(kafka_bootstrap, names.events, groups, clock, "", middle)
    proc = start_worker(live, names, group_id)
    try:
        wait_for_checkpoint(live, names, topic_total(kafka_bootstrap, names.events), proc)
    finally:
        stop_worker(proc)
    publish(kafka_bootstrap, names.events, groups, clock, middle, "9999")
    proc = start_worker(live, names, group_id)
    try:
        wait_for_checkpoint(live, names, topic_total(kafka_bootstrap, names.events), proc)
    finally:
        stop_worker(proc)

    rm = ReadModel(live).open()
    health = {r[0]: r for r in rm.rows(T.GROUP_HEALTH)}
    level = T.GROUP_HEALTH.columns and list(T.GROUP_HEALTH.columns).index("level")
    steady, stop, lapse, back = (g.group_id for g in groups)
    assert health[stop][level] == "dormant"
    assert health[steady][level] == "healthy"
    live_alerts = [json.loads(r.value) for r in read_all(kafka_bootstrap, names.alerts)]
    kinds = {(a["subject"], a["type"]) for a in live_alerts}
    assert (stop, "peerpulse.alert.group-dormant.v1") in kinds
    assert (lapse, "peerpulse.alert.member-lapsed.v1") in kinds
    assert (back, "peerpulse.alert.group-recovered.v1") in kinds
    assert len({a["id"] for a in live_alerts}) == len(live_alerts), "no duplicate intents"

    rebuilt = Settings(
        _env_file=None,
        data_dir=tmp_path / "rebuilt",
        kafka_bootstrap=kafka_bootstrap,
        topic_partitions=PARTITIONS,
    )
    collected: list[dict] = []
    stats = rebuild(
        rebuilt,
        names,
        f"r-{group_id}",
        progress=False,
        on_output=lambda out: collected.extend(out.alerts),
    )
    assert stats.groups == 4
    rm2 = ReadModel(rebuilt).open()
    for table in T.READ_MODEL:
        assert rm.rows(table) == rm2.rows(table), table.name
    assert sorted(collected, key=lambda a: a["id"]) == sorted(live_alerts, key=lambda a: a["id"])
    assert rm2.checkpoint(names.events) == rm.checkpoint(names.events)


def test_a_worker_whose_read_model_refuses_a_batch_exits_for_a_restart(
    kafka_bootstrap, names, tmp_path
):
    """The read model refuses writes (a table gone): the worker does not stay up idle; it
    exits 3 with one line, and a restarted worker resumes from the checkpoint."""
    live = Settings(
        _env_file=None,
        data_dir=tmp_path / "live",
        kafka_bootstrap=kafka_bootstrap,
        topic_partitions=PARTITIONS,
    )
    groups, clock, group_id = histories(), Clock(), f"w-{uuid.uuid4().hex[:6]}"
    middle = (T0 + timedelta(days=30)).isoformat()
    publish(kafka_bootstrap, names.events, groups, clock, "", middle)
    proc = start_worker(live, names, group_id, capture=True)
    try:
        try:
            wait_for_checkpoint(live, names, topic_total(kafka_bootstrap, names.events), proc)
        except AssertionError:
            raise AssertionError(proc.stderr.read().decode()[-3000:]) from None
        before = ReadModel(live).open()
        reached = sum(before.checkpoint(names.events).values())
        before.close()
        with sqlite3.connect(live.readmodel_sqlite_path) as db:
            db.execute(f"ALTER TABLE {T.GROUP_HEALTH.name} RENAME TO gone")
        publish(kafka_bootstrap, names.events, groups, clock, middle, "9999")
        code = proc.wait(timeout=60)
    finally:
        stop_worker(proc)
    err = proc.stderr.read().decode()
    assert code == 3, err[-2000:]
    assert "projection stopped: OperationalError" in err
    assert "Traceback" not in err
    with sqlite3.connect(live.readmodel_sqlite_path) as db:
        db.execute(f"ALTER TABLE gone RENAME TO {T.GROUP_HEALTH.name}")
    after = ReadModel(live).open()
    try:
        assert sum(after.checkpoint(names.events).values()) == reached  # nothing half-written
    finally:
        after.close()
    proc = start_worker(live, names, group_id)
    try:
        wait_for_checkpoint(live, names, topic_total(kafka_bootstrap, names.events), proc)
    finally:
        stop_worker(proc)

"""The projection worker as its own process on the embedded broker, and rebuild parity."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from infra.kafka import read_all
from infra.settings import Settings
from infra.topics import create_topics
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.rebuild import rebuild
from projections.worker.wire import ProjectionTopics
from tests.integration.projection_kit import (
    PARTITIONS,
    histories,
    publish,
    start_worker,
    stop_worker,
    topic_total,
    wait_for_checkpoint,
)
from tests.unit.projections.builder import T0, Clock

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def names(kafka_bootstrap: str) -> ProjectionTopics:
    tag = uuid.uuid4().hex[:8]
    n = ProjectionTopics(f"t{tag}.events", f"t{tag}.health", f"t{tag}.alerts")
    create_topics(kafka_bootstrap, PARTITIONS, n.catalogue())
    return n


def first_half(kafka_bootstrap: str, names: ProjectionTopics, tmp_path: Path) -> tuple:
    """A worker's settings, the group histories, and their first 30 days published."""
    live = Settings(
        _env_file=None,
        data_dir=tmp_path / "live",
        kafka_bootstrap=kafka_bootstrap,
        topic_partitions=PARTITIONS,
    )
    groups, clock, group_id = histories(), Clock(), f"w-{uuid.uuid4().hex[:6]}"
    middle = (T0 + timedelta(days=30)).isoformat()
    publish(kafka_bootstrap, names.events, groups, clock, "", middle)
    return live, groups, clock, group_id, middle


def test_worker_process_projects_resumes_and_matches_rebuild(kafka_bootstrap, names, tmp_path):
    live, groups, clock, group_id, middle = first_half(kafka_bootstrap, names, tmp_path)
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
    kind = list(T.FLAG_EPISODES.columns).index("first_intervention_kind")
    assert "call" in {r[kind] for r in rm.rows(T.FLAG_EPISODES) if r[0] == back}

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
    live, groups, clock, group_id, middle = first_half(kafka_bootstrap, names, tmp_path)
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

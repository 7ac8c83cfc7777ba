"""Chaos: ingest, relay and the projection worker run as their own processes and are
SIGKILLed at seeded random moments while a simulated program is published, each restarted
as a supervisor would. Once every role has caught up: the event store holds what an
uninterrupted ingest stores, the events topic carries every stored event once and in order,
and the live read model equals a clean ``peerpulse rebuild``, every table row for row.

``make test`` runs a short form; ``PEERPULSE_CHAOS_KILLS=40`` runs a long one (more kills,
more groups) and ``PEERPULSE_CHAOS_SEED`` replays a failure, whose output names the seed
and the kill schedule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from random import Random

import pytest

from consumers.ingest.mapper import apply
from consumers.ingest.positions import next_offsets
from domain.application import EngagementApp
from domain.clock import TICK_EVERY, boundary_at_or_before
from domain.errors import DomainError
from domain.ids import CLOCK_ID
from infra.contract.inbound.decoder import Command, decode
from infra.settings import Settings
from infra.simulator import simulate
from infra.simulator.sinks import KafkaSink
from infra.topics import Topic, create_topics
from peerpulse.commands.up import settings_env
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.wire import ProjectionTopics
from tests.integration import chaos_kit as kit
from tests.integration.ingest_kit import container, wait_for
from tests.integration.ingest_kit.stream import fingerprint
from tests.integration.relay_kit import assert_published_exactly_once
from tests.unit.ingest.conftest import NOW, FakeVault

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
PARTITIONS = 3
KILLS = max(6, int(os.environ.get("PEERPULSE_CHAOS_KILLS", "7")))
SEED = int(os.environ.get("PEERPULSE_CHAOS_SEED", "1717"))
GROUPS, WEEKS = max(60, 8 * KILLS), 16
END = datetime(2025, 6, 2, tzinfo=UTC)


@pytest.fixture
def chaos_topics(kafka_bootstrap: str) -> kit.ChaosTopics:
    tag = f"chaos-{uuid.uuid4().hex[:8]}"
    t = kit.ChaosTopics(
        f"{tag}.attendance",
        f"{tag}.dlq",
        ProjectionTopics(f"{tag}.events", f"{tag}.health", f"{tag}.alerts"),
    )
    own = tuple(Topic(n, "k", "v", "chaos test") for n in (t.attendance, t.dlq))
    create_topics(kafka_bootstrap, PARTITIONS, own + t.projection.catalogue())
    return t


@pytest.fixture
def fresh_readmodel(store_settings: Settings, tmp_path) -> Iterator[Settings]:
    """An empty read model on the same backend (a schema of its own on PostgreSQL)."""
    fresh = store_settings.model_copy(update={"data_dir": tmp_path / "rebuilt"})
    if store_settings.store == "sqlite":
        yield fresh
        return
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(store_settings.postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield fresh.model_copy(update={"postgres_schema": schema})
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_killing_ingest_relay_and_worker_at_random_loses_and_duplicates_nothing(
    store_settings, kafka_bootstrap, chaos_topics, fresh_readmodel, tmp_path
):
    rng = Random(SEED)
    schedule = kit.kill_schedule(rng, KILLS)
    sim = simulate(SEED, END, GROUPS, WEEKS)
    lead = next(i for i, m in enumerate(sim.messages) if m.get("subject"))
    gate, rest = sim.messages[:lead], sim.messages[lead:]  # the program's own facts first
    chunks = kit.cuts(rng, len(rest), len(schedule) + 1)
    print(f"chaos seed {SEED} ({store_settings.store}): {len(sim.messages)} messages in "
          f"{len(chunks)} chunks {chunks}; kills {schedule}")  # fmt: skip
    settings = store_settings.model_copy(
        update={"kafka_bootstrap": kafka_bootstrap, "topic_partitions": PARTITIONS}
    )
    (tmp_path / "logs").mkdir()
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # the worker's faust needs it
    roles = kit.Roles(settings, chaos_topics, tmp_path / "logs", uuid.uuid4().hex[:8])
    c = container(settings, kafka_bootstrap)
    pipeline = kit.Pipeline(c.app, settings, chaos_topics, PARTITIONS)
    sink = KafkaSink(kafka_bootstrap, chaos_topics.attendance)
    started, pending = time.monotonic(), []
    try:
        for role in kit.ROLES:
            roles.start(role)
        sink.send(gate)
        wait_for(lambda: ingested(c.app, chaos_topics) >= len(gate), 90, "the program's launch")
        for kill, (a, b) in zip(schedule, chunks, strict=False):
            sink.send(rest[a:b])
            pending.append((kill.role, pipeline.strike(roles, kill)))
        sink.send(rest[chunks[-1][0] :])
        pipeline.wait_caught_up(roles, timeout=150)
    finally:
        sink.close()
        roles.stop()
    print(f"caught up {time.monotonic() - started:.0f} s after the first message; roles that"
          f" ended by themselves: {roles.exits or 'none'}; work the killed role had pending:"
          f" {pending}")  # fmt: skip
    try:
        assert_store_holds_an_uninterrupted_run(c.app, sim.messages)
        assert_published_exactly_once(c.app, kafka_bootstrap, chaos_topics.projection.events)
    finally:
        c.close()
    fresh = fresh_readmodel.model_copy(
        update={"kafka_bootstrap": kafka_bootstrap, "topic_partitions": PARTITIONS}
    )
    assert_live_equals_rebuild(settings, fresh, chaos_topics.projection)


def ingested(app, topics: kit.ChaosTopics) -> int:
    return sum(next_offsets(app, topics.attendance, range(PARTITIONS)).values())


def reference(messages: list[dict]) -> EngagementApp:
    """The uninterrupted outcome: every message applied once, in order, in memory."""
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=FakeVault())
    for message in messages:
        command = decode(json.dumps(message).encode(), None, NOW)
        assert isinstance(command, Command), command
        try:
            with app.batch():
                apply(app, command)
        except DomainError:
            continue  # ingest dead-letters it: no events
    return app


def originators(app) -> set:
    last = app.recorder.max_notification_id() or 0
    return {n.originator_id for n in app.recorder.select_notifications(1, last)}


def unsealed(events: dict) -> dict:
    """Fingerprints with sealed personal data masked (each store seals with its own keys)."""
    return {
        aggregate: [
            (*head, [(k, "<sealed>" if k.startswith("sealed_") else v) for k, v in payload])
            for *head, payload in history
        ]
        for aggregate, history in events.items()
    }


def assert_store_holds_an_uninterrupted_run(app, messages: list[dict]) -> None:
    """Every aggregate has exactly the events of an uninterrupted in-process ingest; the
    clock (its ticks follow ingest's batches) ticked every boundary once, up to the newest
    message's."""
    expected = reference(messages)
    ids = sorted((originators(app) | originators(expected)) - {CLOCK_ID}, key=str)
    got, want = unsealed(fingerprint(app, ids)), unsealed(fingerprint(expected, ids))
    wrong = [i for i in ids if got[i] != want[i]]
    assert not wrong, (
        f"seed {SEED}: {len(wrong)} of {len(ids)} aggregates differ from an uninterrupted run;"
        f" first {wrong[0]}:\n stored   {got[wrong[0]][:6]}\n expected {want[wrong[0]][:6]}"
    )
    clock = app.repository.event_store.get(CLOCK_ID)
    ticks = [e.at for e in clock if type(e).__name__ == "Ticked"]
    assert ticks == [ticks[0] + i * TICK_EVERY for i in range(len(ticks))], f"seed {SEED}"
    newest = max(datetime.fromisoformat(m["time"].replace("Z", "+00:00")) for m in messages)
    assert ticks[-1] == boundary_at_or_before(newest), f"seed {SEED}: clock at {ticks[-1]}"


def assert_live_equals_rebuild(live: Settings, fresh: Settings, names: ProjectionTopics) -> None:
    """``peerpulse rebuild`` into ``fresh`` writes exactly the live worker's rows."""
    args = ["rebuild", "--events-topic", names.events, "--group-health-topic",
            names.group_health, "--alerts-topic", names.alerts, "--group-id",
            f"chaos-rebuild-{uuid.uuid4().hex[:6]}", "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(kit.REPO), **settings_env(fresh)}
    done = subprocess.run([sys.executable, "-m", "peerpulse", *args], env=env,
                          cwd=fresh.data_dir.parent, capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    a, b = ReadModel(live).open(), ReadModel(fresh).open()
    try:
        assert a.checkpoint(names.events) == b.checkpoint(names.events)
        diffs = {t.name: row_diff(a.rows(t), b.rows(t)) for t in T.READ_MODEL}
        diffs = {name: d for name, d in diffs.items() if d}
        assert not diffs, f"seed {SEED}: live read model != rebuild: {json.dumps(diffs, indent=1)}"
    finally:
        a.close()
        b.close()


def row_diff(live: list[tuple], rebuilt: list[tuple], show: int = 5) -> dict:
    """Rows only one side has (a few of each), or nothing when both are the same."""
    if live == rebuilt:
        return {}
    x, y = {repr(r) for r in live}, {repr(r) for r in rebuilt}
    return {
        "rows": [len(live), len(rebuilt)],
        "only_live": sorted(x - y)[:show],
        "only_rebuilt": sorted(y - x)[:show],
    }

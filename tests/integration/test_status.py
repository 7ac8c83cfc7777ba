"""``peerpulse status`` on the real embedded broker and SQLite (PostgreSQL for the lock
holder): real ``ingest`` and ``relay`` processes, their pids, partitions and a lag that
drops to 0 once they caught up."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from infra.broker import free_port
from infra.kafka import producer
from infra.lock_holder import Holder, holder
from infra.topics import ALERTS, ATTENDANCE, ATTENDANCE_DLQ, EVENTS, create_topics
from peerpulse.build import build
from peerpulse.pipeline import status_reader
from projections.readmodel.batch import Batch
from projections.readmodel.store import ReadModel
from tests.integration.relay_kit import (  # reap_relays: autouse clean-up
    reap_relays,  # noqa: F401
    record_history,
    relay_env,
    relay_settings,
    start_relay,
    unique_topic,
    wait_for,
)

PARTITIONS = 2
WAITED_S = 120  # how old the attendance records are when they are produced


def _topics(bootstrap: str) -> dict[str, str]:
    names = {"ingest": unique_topic("att"), "projections": unique_topic("ev"),
             "alerts": unique_topic("al"), "dlq": unique_topic("dlq")}  # fmt: skip
    base = {"ingest": ATTENDANCE, "projections": EVENTS, "alerts": ALERTS, "dlq": ATTENDANCE_DLQ}
    made = tuple(dataclasses.replace(base[k], name=v) for k, v in names.items())
    create_topics(bootstrap, PARTITIONS, made)
    return names | {"relay": names["projections"]}


def _produce_old_attendance(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    then = int((time.time() - WAITED_S) * 1000)
    prod = producer(bootstrap)
    for partition, count in per_partition.items():
        for i in range(count):
            prod.send(topic, value=b"not json %d" % i, partition=partition, timestamp_ms=then)
    prod.flush()
    prod.close()


def _until(read, done, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while True:
        status = read()
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def _ingested_and_relayed(status) -> bool:
    ingest, relay = status.role("ingest"), status.role("relay")
    return ingest.running and relay.running and ingest.lag_events == relay.lag_events == 0


@pytest.mark.kafka
def test_status_names_each_holder_its_partitions_and_a_lag_that_drops_to_zero(
    sqlite_settings, kafka_bootstrap, tmp_path
):
    settings = relay_settings(sqlite_settings, kafka_bootstrap, PARTITIONS)
    topics = _topics(kafka_bootstrap)
    _produce_old_attendance(kafka_bootstrap, topics["ingest"], {0: 3, 1: 1})
    parts = build(settings)
    stored = record_history(parts.app, 300)
    reader = status_reader(parts, topics)

    before = reader.read()
    ingest, relay, worker, alerts = (
        before.role(n) for n in ("ingest", "relay", "worker", "alerts")
    )
    assert not any(r.running for r in before.roles) and before.complete
    assert (ingest.partition_count, ingest.owns) == (PARTITIONS, "none")
    assert [(p.partition, p.end, p.position, p.lag_events) for p in ingest.partitions] == [
        (0, 3, 0, 3), (1, 1, 0, 1)]  # fmt: skip
    assert all(WAITED_S - 5 <= p.lag_seconds < WAITED_S + 60 for p in ingest.partitions)
    assert (relay.relay.stored, relay.relay.relayed, relay.lag_events) == (stored, 0, stored)
    assert relay.lag_seconds > 0  # the history was recorded with past timestamps
    assert worker.lag_events == 0 and alerts.lag_events == 0 and not before.caught_up

    cli = [sys.executable, "-m", "peerpulse", "ingest", "--topic", topics["ingest"],
           "--dlq-topic", topics["dlq"], "--group-id", unique_topic("g")]  # fmt: skip
    ingesting = subprocess.Popen(cli, env=relay_env(settings), cwd=tmp_path,
                                 stderr=(tmp_path / "ingest.log").open("w"))  # fmt: skip
    relaying = start_relay(settings, topics["relay"], tmp_path / "relay.log")
    try:
        wait_for(tmp_path / "relay.log", "resuming from", relaying)
        after = _until(reader.read, _ingested_and_relayed)
        ingest, relay, worker = (after.role(n) for n in ("ingest", "relay", "worker"))
        assert ingest.holder.pid == ingesting.pid and relay.holder.pid == relaying.pid
        assert ingest.owns == relay.owns == f"all {PARTITIONS}"
        assert [(p.lag_events, p.lag_seconds) for p in ingest.partitions] == [(0, 0.0)] * 2
        assert (ingest.lag_seconds, relay.lag_seconds) == (0.0, 0.0)
        assert relay.relay.relayed == stored
        assert max(relay.relay.per_partition.values()) == stored
        # the relayed events now wait for the projection worker, which nobody runs
        assert not worker.running and worker.lag_events == sum(p.end for p in worker.partitions)
        assert worker.lag_events > 0 and worker.lag_seconds >= 0 and not after.caught_up
    finally:
        for proc in (ingesting, relaying):
            proc.terminate()
            proc.wait(30)

    batch = Batch()
    for p in worker.partitions:
        batch.position(topics["projections"], p.partition, p.end - 1)  # as the worker records
    model = ReadModel(settings).open()
    model.write(batch)
    for partition, owner in ((0, "host-a pid=4242"), (1, "host-b pid=4343")):
        model.claim(topics["projections"], [partition], owner)  # as two workers claim (0025)
    model.close()
    done = reader.read()
    assert done.caught_up, json.dumps(done.to_dict(), indent=1)
    assert [(p.partition, p.owner) for p in done.role("worker").partitions] == [
        (0, Holder(4242, "host-a")), (1, Holder(4343, "host-b"))]  # fmt: skip
    assert not done.role("ingest").running and not done.role("relay").running
    parts.close()


@pytest.mark.kafka
def test_the_status_command_prints_json_and_exits_0_when_everything_was_read(
    sqlite_settings, kafka_bootstrap, tmp_path
):
    create_topics(kafka_bootstrap, PARTITIONS, (ATTENDANCE, EVENTS, ALERTS))  # the defaults
    settings = relay_settings(sqlite_settings, kafka_bootstrap, PARTITIONS)
    done = subprocess.run([sys.executable, "-m", "peerpulse", "status", "--json"],
                          env=relay_env(settings), cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
    body = json.loads(done.stdout)
    assert [r["role"] for r in body["roles"]] == ["ingest", "relay", "worker", "alerts"]
    assert body["complete"] and not any(r["running"] for r in body["roles"])
    assert all(r["topic"] for r in body["roles"]) and body["roles"][2]["topic"] == EVENTS.name
    before = datetime.fromisoformat(body["measured_at"])
    assert abs((datetime.now(UTC) - before).total_seconds()) < 120


def test_no_broker_is_one_line_naming_it_and_exit_2(sqlite_settings, tmp_path):
    nowhere = f"127.0.0.1:{free_port()}"
    settings = sqlite_settings.model_copy(update={"kafka_bootstrap": nowhere})
    done = subprocess.run([sys.executable, "-m", "peerpulse", "status"], env=relay_env(settings),
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr[-1500:]
    assert done.stderr.strip().splitlines() == [
        f"peerpulse status: no Kafka broker answers at {nowhere}: [Errno 111] Connection refused"
    ]


@pytest.mark.postgres
def test_no_store_is_one_line_naming_it_and_exit_2(postgres_settings, kafka_bootstrap, tmp_path):
    settings = relay_settings(postgres_settings, kafka_bootstrap, PARTITIONS).model_copy(
        update={"postgres_dsn": f"postgresql://postgres@127.0.0.1:{free_port()}/test"}
    )
    done = subprocess.run([sys.executable, "-m", "peerpulse", "status"], env=relay_env(settings),
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr[-1500:]
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("peerpulse status: PostgreSQL at ") and "is not reachable" in line


_HOLD = """
import sys, time
from infra.settings import Settings
from infra.singleton import only_one
with only_one(Settings.model_validate_json(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.mark.kafka
@pytest.mark.postgres
def test_on_postgresql_status_names_the_advisory_lock_holder(postgres_settings, kafka_bootstrap):
    settings = relay_settings(postgres_settings, kafka_bootstrap, PARTITIONS)
    topics = _topics(kafka_bootstrap)
    hold = subprocess.Popen([sys.executable, "-c", _HOLD, settings.model_dump_json(), "worker"],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    parts = build(settings)
    try:
        assert hold.stdout is not None and hold.stdout.readline().strip() == "held"
        assert holder(settings, "ingest") is None
        status = status_reader(parts, topics).read()
        worker = status.role("worker")
        assert worker.holder is not None and worker.holder.pid == hold.pid
        assert worker.owns == f"all {PARTITIONS}" and status.complete
        assert not status.role("ingest").running and not status.role("relay").running
    finally:
        hold.kill()
        hold.wait(10)
        parts.close()
    deadline = time.monotonic() + 10
    while holder(settings, "worker") is not None:  # the server frees it when the backend exits
        assert time.monotonic() < deadline, "the killed holder's lock was never released"
        time.sleep(0.1)


def test_an_ops_token_is_created_from_the_command_line(sqlite_settings, tmp_path):
    from api.auth.tokens import Scope

    cli = [sys.executable, "-m", "peerpulse", "tokens", "create", "--name", "oncall"]
    done = subprocess.run(
        [*cli, "--scope", "ops"],
        env=relay_env(sqlite_settings), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
    assert "scopes=ops" in done.stdout
    (token,) = build(sqlite_settings).token_store.list()
    assert token.scopes == {Scope.OPS} and token.allows(Scope.OPS)
    assert not token.allows(Scope.READ)

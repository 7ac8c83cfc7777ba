"""One relay per topic; one ingest and alert router per SQLite store; no rebuild beside a
running projection worker (infra/singleton.py, infra/presence.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from infra.presence import sharing
from infra.singleton import AlreadyRunning, _key, only_one
from tests.conftest import PG_DSN
from tests.integration.relay_kit import (  # reap_relays: autouse clean-up
    children,
    errors,
    reap_relays,  # noqa: F401
    relay_env,
    relay_settings,
    running,
    start_relay,
    unique_topic,
    wait_for,
)


def test_a_second_holder_is_refused_naming_the_first(store_settings):
    refused = pytest.raises(AlreadyRunning, match=r"peerpulse relay for events .*pid[ =]\d+")
    with only_one(store_settings, "relay:events"):
        with refused, only_one(store_settings, "relay:events"):
            pass
        with only_one(store_settings, "relay:other-topic"), only_one(store_settings, "ingest"):
            pass  # other names are other locks
    with only_one(store_settings, "relay:events"):
        pass  # released on exit


@pytest.mark.postgres
def test_a_postgres_lock_is_free_the_moment_its_holder_leaves(postgres_settings):
    # Closing the connection frees the lock only once the server's backend has exited,
    # after close() returned; the lock is released explicitly so a successor is not refused.
    key = _key(postgres_settings, "ingest") & 0xFFFFFFFFFFFFFFFF
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        for _ in range(20):
            with only_one(postgres_settings, "ingest"):
                assert _advisory_locks(admin, key) == 1
            assert _advisory_locks(admin, key) == 0


@pytest.mark.postgres
def test_a_sigkilled_postgres_holder_does_not_refuse_an_immediate_restart(postgres_settings):
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, postgres_settings.model_dump_json()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = pytest.raises(AlreadyRunning, match=rf"pid={holder.pid}")
        with refused, only_one(postgres_settings, "ingest"):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with only_one(postgres_settings, "ingest"):
            pass  # the supervisor's restart, a moment after the crash
    finally:
        holder.kill()
        holder.wait(10)


_HOLD = """
import sys, time
from infra.settings import Settings
from infra.singleton import only_one
with only_one(Settings.model_validate_json(sys.argv[1]), "ingest"):
    print("held", flush=True)
    time.sleep(600)
"""


def _end_lock_session(label: str) -> bool:
    """Terminate the one session whose application name is like ``label``, as a server
    restart or a network cut would end it."""
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE %s",
            (label,),
        ).fetchall()
    return ended == [(True,)]


def _advisory_locks(admin: psycopg.Connection, key: int) -> int:
    return admin.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
        "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1",
        (key >> 32, key & 0xFFFFFFFF),
    ).fetchone()[0]


@pytest.mark.postgres
def test_two_schemas_are_two_stores(postgres_settings, pg_schema):
    other = postgres_settings.model_copy(update={"postgres_schema": f"{pg_schema}_b"})
    with only_one(postgres_settings, "ingest"), only_one(other, "ingest"):
        pass


@pytest.mark.kafka
def test_a_second_relay_on_the_same_topic_stops_with_one_line(
    sqlite_settings, kafka_bootstrap, tmp_path
):
    settings, topic = relay_settings(sqlite_settings, kafka_bootstrap), unique_topic("twice")
    first = start_relay(settings, topic, tmp_path / "first.log")
    try:
        wait_for(tmp_path / "first.log", "resuming from", first)
        log = tmp_path / "second.log"
        second = start_relay(settings, topic, log)
        assert second.wait(60) == 2, log.read_text()[-1500:]
        (line,) = errors(log)
        assert f"another peerpulse relay for {topic} is already running" in line
        assert f"(pid {first.pid})" in line
        assert "Traceback" not in log.read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    again = start_relay(settings, topic, tmp_path / "again.log", "--until-caught-up")
    assert again.wait(60) == 0, "a SIGKILLed holder leaves no lock behind"


@pytest.mark.kafka
@pytest.mark.parametrize(
    ("command", "role"),
    [(["ingest"], "ingest"), (["alerts", "run"], "alerts")],
)
def test_a_second_ingest_or_alert_router_on_one_sqlite_store_stops_with_one_line(
    command, role, sqlite_settings, kafka_bootstrap, tmp_path
):
    settings = relay_settings(sqlite_settings, kafka_bootstrap)
    env = relay_env(settings, {"PEERPULSE_KAFKA_SESSION_TIMEOUT_MS": "6000"})
    cli = [sys.executable, "-m", "peerpulse", *command]
    first = subprocess.Popen(cli, env=env, cwd=tmp_path, stderr=subprocess.DEVNULL)
    try:
        lock = settings.data_dir / "locks" / f"{role}.lock"
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text() == str(first.pid)):
            assert first.poll() is None and time.monotonic() < deadline, "no lock taken"
            time.sleep(0.05)
        second = subprocess.run(
            cli, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 2, second.stderr[-1500:]
        assert second.stderr.strip().splitlines() == [
            f"peerpulse {command[0]}: another peerpulse {role} is already running on "
            f"{settings.data_dir} (pid {first.pid}); stop it first, or use another "
            "PEERPULSE_DATA_DIR"
        ]
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(30)


@pytest.mark.kafka
@pytest.mark.postgres
def test_a_relay_whose_lock_session_ends_stops_with_one_line(
    postgres_settings, kafka_bootstrap, tmp_path
):
    settings = relay_settings(postgres_settings, kafka_bootstrap)
    log = tmp_path / "relay.log"
    relay = start_relay(settings, unique_topic("lost"), log)
    wait_for(log, "resuming from", relay)
    ended = _end_lock_session(f"peerpulse-relay:% pid={relay.pid}")
    assert ended, "the relay's lock session was not found"
    assert relay.wait(30) == 2, log.read_text()[-1500:]
    (line,) = errors(log)
    assert "lost the peerpulse relay for" in line and "PostgreSQL session ended" in line


def test_rebuild_refuses_to_run_beside_a_worker(sqlite_settings, tmp_path):
    env = relay_env(sqlite_settings)
    with sharing(sqlite_settings, "worker"):  # as every running `peerpulse worker` holds it
        rebuild = subprocess.run(
            [sys.executable, "-m", "peerpulse", "rebuild", "--no-progress"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert rebuild.returncode == 2, rebuild.stderr[-1500:]
    assert rebuild.stderr.strip().splitlines() == [
        f"peerpulse rebuild: another peerpulse worker is already running on "
        f"{sqlite_settings.data_dir} (pid {os.getpid()}); stop it first, or use another "
        "PEERPULSE_DATA_DIR"
    ]


@pytest.fixture(scope="module")
def long_history(kafka_broker):
    """A 200,000-event history on fresh topics: about ten seconds of replay here."""
    from benchmarks._projection_events import synthetic
    from benchmarks.projections import produce
    from infra.topics import create_topics
    from projections.worker.wire import ProjectionTopics

    tag = unique_topic("rbterm")
    names = ProjectionTopics(f"{tag}.events", f"{tag}.health", f"{tag}.alerts")
    create_topics(kafka_broker.bootstrap, 3, names.catalogue())
    produce(kafka_broker.bootstrap, names.events, synthetic(200_000, partitions=3))
    return names


@contextmanager
def _replaying_rebuild(settings, names, cwd: Path) -> Iterator[tuple[subprocess.Popen, set]]:
    """``peerpulse rebuild`` with two feed processes, once both are replaying; killed after."""
    cli = [sys.executable, "-m", "peerpulse", "rebuild", "--no-progress", "--workers", "2",
           "--events-topic", names.events, "--group-health-topic", names.group_health,
           "--alerts-topic", names.alerts]  # fmt: skip
    rebuild = subprocess.Popen(
        cli, env=relay_env(settings), cwd=cwd, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline, feeds = time.monotonic() + 60, set()
        while len(feeds) < 2:
            assert rebuild.poll() is None and time.monotonic() < deadline, "no feed processes"
            time.sleep(0.1)
            feeds = set(children(rebuild.pid))
        time.sleep(1.0)  # replaying
        yield rebuild, feeds
    finally:
        rebuild.kill()
        rebuild.wait(10)


def _gone(feeds: set[int]) -> None:
    deadline = time.monotonic() + 10
    while any(running(p) for p in feeds):
        assert time.monotonic() < deadline, "feed processes outlived the rebuild"
        time.sleep(0.1)


@pytest.mark.kafka
def test_a_terminated_rebuild_stops_its_feed_processes_too(
    sqlite_settings, kafka_bootstrap, long_history, tmp_path
):
    settings = relay_settings(sqlite_settings, kafka_bootstrap)
    with _replaying_rebuild(settings, long_history, tmp_path) as (rebuild, feeds):
        rebuild.send_signal(signal.SIGTERM)  # to the rebuild alone, as the lock watchdog does
        sent = time.monotonic()
        _, stderr = rebuild.communicate(timeout=60)
        assert rebuild.returncode == 128 + signal.SIGTERM, stderr[-1500:]
        assert "Traceback" not in stderr
        assert time.monotonic() - sent < 5, "the rebuild waited for its feeds to finish"
        _gone(feeds)


@pytest.mark.kafka
@pytest.mark.postgres
def test_a_rebuild_whose_lock_session_ends_stops_with_one_line(
    postgres_settings, kafka_bootstrap, long_history, tmp_path
):
    settings = relay_settings(postgres_settings, kafka_bootstrap)
    with _replaying_rebuild(settings, long_history, tmp_path) as (rebuild, feeds):
        ended = _end_lock_session(f"peerpulse-worker pid={rebuild.pid}")
        assert ended, "the rebuild's lock session was not found"
        _, stderr = rebuild.communicate(timeout=60)
        assert rebuild.returncode == 2, stderr[-1500:]
        assert stderr.strip().splitlines()[-1] == (
            "peerpulse rebuild: lost the peerpulse worker lock: its PostgreSQL session ended "
            "(server restart, network, or terminated); stopped so that no second one overlaps"
        )
        assert "Traceback" not in stderr
        _gone(feeds)

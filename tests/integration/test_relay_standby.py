"""Relay standbys (decision 0022): kill -9 the active relay and a standby takes over within
10 s; the events topic ends with every stored event exactly once, in order per group.

Every relay runs as the operator runs it, ``python -m peerpulse relay --standby``, while a
thread of the test records events into the store; who is active is read from the lock, as
``peerpulse status`` reads it.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from infra.kafka import read_all
from infra.lock_holder import holder, standbys
from infra.lock_lease import FENCE_S
from infra.relay_positions import watermarks
from peerpulse.build import build
from tests.conftest import PG_DSN
from tests.integration.relay_kit import (
    PARTITIONS,
    assert_published_exactly_once,
    errors,
    expected_records,
    reap_relays,  # noqa: F401 - autouse clean-up
    record_history,
    relay_settings,
    start_relay,
    unique_topic,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TAKEOVER_LIMIT_S = 10.0
ACTIVE = "resuming from"  # the line a relay logs once it publishes


class Fleet:
    """Relays on one topic, each started with ``--standby``; the active one is the lock's
    holder (:func:`infra.lock_holder.holder`)."""

    def __init__(self, settings, topic: str, tmp_path: Path) -> None:
        self.settings, self.topic, self.tmp_path = settings, topic, tmp_path
        self.lock = f"relay:{topic}"
        self.procs: dict[int, tuple[subprocess.Popen, Path]] = {}

    def add(self, *extra: str) -> subprocess.Popen:
        """One more relay with ``--standby``."""
        log = self.tmp_path / f"relay-{len(self.procs)}.log"
        proc = start_relay(self.settings, self.topic, log, "--standby", "--batch-size", "300",
                           *extra)  # fmt: skip
        self.procs[proc.pid] = (proc, log)
        return proc

    def log(self, pid: int) -> str:
        return self.procs[pid][1].read_text()

    def active(self, timeout: float = 60.0, other_than: int | None = None) -> int:
        """The pid of the relay that holds the lock and publishes (not ``other_than``)."""
        deadline = time.monotonic() + timeout
        while True:
            found = holder(self.settings, self.lock)
            pid = None if found is None else found.pid
            if pid is not None and pid != other_than and ACTIVE in self.log(pid):
                return pid
            assert time.monotonic() < deadline, f"no active relay; holder {found}"
            time.sleep(0.05)

    def standing_by(self, count: int, timeout: float = 30.0) -> set[int]:
        """The pids of ``count`` standbys, once they all say so and status lists them."""
        deadline = time.monotonic() + timeout
        while True:
            listed = {h.pid for h in standbys(self.settings, self.lock)}
            said = {p for p in listed if p in self.procs and "standing by" in self.log(p)}
            if len(said) == count:
                return said
            assert time.monotonic() < deadline, f"standbys listed {listed}, expected {count}"
            time.sleep(0.05)

    def stop(self, lost: int | None = None) -> None:
        """SIGTERM to every relay still running; each must have ended cleanly, been
        SIGKILLed by the test, or (``lost``) ended for its lost lock."""
        for proc, _ in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for pid, (proc, log) in self.procs.items():
            ok = (0, -signal.SIGKILL, 2) if pid == lost else (0, -signal.SIGKILL)
            assert proc.wait(60) in ok, log.read_text()[-1500:]


class Recorder(threading.Thread):
    """Records a history into the store while the relays run."""

    def __init__(self, app, events: int) -> None:
        super().__init__(name="recorder", daemon=True)
        self.app, self.events, self.last, self.failed = app, events, 0, None

    def run(self) -> None:
        try:
            self.last = record_history(self.app, self.events)
        except BaseException as exc:  # reported by the test
            self.failed = exc


def _kill_and_time(fleet: Fleet, rng: random.Random) -> float:
    """SIGKILL the active relay at a random moment; seconds until another one publishes."""
    time.sleep(rng.uniform(0.2, 2.0))
    victim = fleet.active()
    fleet.procs[victim][0].send_signal(signal.SIGKILL)
    killed = time.monotonic()
    fleet.procs[victim][0].wait(10)
    successor = fleet.active(timeout=30, other_than=victim)
    took = time.monotonic() - killed
    assert f"standing by for the relay lock held by pid {victim}" in fleet.log(successor)
    return took


def _caught_up(app, bootstrap: str, topic: str, timeout: float = 120) -> None:
    """Wait until the topic holds as many records as the store implies."""
    want, deadline = sum(expected_records(app).values()), time.monotonic() + timeout
    while (have := len(read_all(bootstrap, topic, timeout=60))) < want:
        assert time.monotonic() < deadline, f"{have} of {want} records after {timeout} s"
        time.sleep(1.0)


def _kill_repeatedly(settings, bootstrap, tmp_path, kills: int, standbys_: int, events: int):
    topic = unique_topic("standby")
    container = build(settings, relay_topic=topic)
    fleet, rng, took = Fleet(settings, topic, tmp_path), random.Random(15), []
    try:
        recorder = Recorder(container.app, events)
        recorder.start()
        for _ in range(1 + standbys_):
            fleet.add()
        fleet.active()
        fleet.standing_by(standbys_)
        for _ in range(kills):
            took.append(_kill_and_time(fleet, rng))
            fleet.add()  # the supervisor's restart: a standby again
            fleet.standing_by(standbys_)
        recorder.join(300)
        assert recorder.failed is None, recorder.failed
        assert recorder.is_alive() is False, "recording did not finish"
        _caught_up(container.app, bootstrap, topic)
        fleet.stop()
        assert_published_exactly_once(container.app, bootstrap, topic)
        print(f"takeover after SIGKILL, seconds: {[round(t, 2) for t in took]}")
        assert max(took) < TAKEOVER_LIMIT_S, f"takeover took {max(took):.2f} s: {took}"
        return took
    finally:
        container.close()


@pytest.mark.postgres
def test_killed_active_relays_are_replaced_by_standbys_within_seconds_on_postgres(
    postgres_settings, kafka_bootstrap, tmp_path
):
    settings = relay_settings(postgres_settings, kafka_bootstrap)
    took = _kill_repeatedly(settings, kafka_bootstrap, tmp_path, kills=3, standbys_=2,
                            events=40_000)  # fmt: skip
    assert len(took) == 3 and min(took) >= FENCE_S  # the fence was kept every time


def test_a_killed_active_relay_is_replaced_by_its_standby_on_sqlite(
    sqlite_settings, kafka_bootstrap, tmp_path
):
    settings = relay_settings(sqlite_settings, kafka_bootstrap)
    _kill_repeatedly(settings, kafka_bootstrap, tmp_path, kills=1, standbys_=1, events=8_000)


def _end_session(application_name: str) -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchall()
    assert ended == [(True,)], f"no session {application_name!r}"


@pytest.mark.postgres
def test_a_relay_whose_session_is_killed_mid_batch_hands_over_without_a_duplicate(
    postgres_settings, kafka_bootstrap, tmp_path
):
    # The server frees the lock at once while the old relay still publishes: it must end
    # itself before its successor reads the topic's watermarks (the lease and the fence).
    settings = relay_settings(postgres_settings, kafka_bootstrap)
    topic = unique_topic("fence")
    container = build(settings, relay_topic=topic)
    fleet = Fleet(settings, topic, tmp_path)
    try:
        head = record_history(container.app, 24_000)
        first = fleet.add().pid
        while (found := holder(settings, fleet.lock)) is None:
            time.sleep(0.05)  # it holds the lock, and waits out its fence
        assert found.pid == first
        fleet.add()
        fleet.standing_by(1)
        fleet.active()
        while not any(watermarks(kafka_bootstrap, topic, PARTITIONS).values()):
            time.sleep(0.02)  # until it has published something: now mid-history
        # held still while its session ends, so it is mid-history however fast it publishes
        fleet.procs[first][0].send_signal(signal.SIGSTOP)
        published = max(watermarks(kafka_bootstrap, topic, PARTITIONS).values())
        _end_session(f"peerpulse-relay:{topic} pid={first}"[:63])
        ended = time.monotonic()
        fleet.procs[first][0].send_signal(signal.SIGCONT)
        assert fleet.procs[first][0].wait(30) == 2, fleet.log(first)[-1500:]
        stopped_after = time.monotonic() - ended
        assert stopped_after < FENCE_S, f"the old relay ran {stopped_after:.2f} s on"
        second = fleet.active(other_than=first)
        print(f"takeover after the session ended: {time.monotonic() - ended:.2f} s")
        (line,) = errors(fleet.procs[first][1])
        assert "lost the peerpulse relay for" in line
        resumed = int(fleet.log(second).split(f"{ACTIVE} ")[1].split()[0])
        assert published < head - 1000, f"the first relay had (nearly) finished: {published}"
        # it may publish on until it notices the loss (< FENCE_S, above); the successor reads
        # the watermarks only after its fence, so it resumes where the first one stopped
        print(f"session ended at position {published}; the successor resumed from {resumed}")
        _caught_up(container.app, kafka_bootstrap, topic)
        fleet.stop(lost=first)
        assert_published_exactly_once(container.app, kafka_bootstrap, topic)
        assert second != first
    finally:
        container.close()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_paused_relay_keeps_its_lock_and_a_second_plain_relay_is_refused(
    store, request, kafka_bootstrap, tmp_path
):
    # A flock cannot be lost by pausing; a paused process's PostgreSQL session stays alive.
    settings = relay_settings(request.getfixturevalue(f"{store}_settings"), kafka_bootstrap)
    topic = unique_topic("paused")
    fleet = Fleet(settings, topic, tmp_path)
    fleet.add()
    active = fleet.active()
    fleet.add()
    (waiting,) = fleet.standing_by(1)
    plain = tmp_path / "plain.log"
    assert start_relay(settings, topic, plain).wait(60) == 2, plain.read_text()[-1500:]
    (line,) = errors(plain)
    named = f"pid={active}" if store == "postgres" else f"(pid {active})"
    assert "is already running" in line and named in line
    fleet.procs[active][0].send_signal(signal.SIGSTOP)
    try:
        time.sleep(2 * FENCE_S)
        assert holder(settings, fleet.lock).pid == active, "a paused relay lost its lock"
        assert ACTIVE not in fleet.log(waiting)
    finally:
        fleet.procs[active][0].send_signal(signal.SIGCONT)
    time.sleep(FENCE_S)  # resumed: its lease is confirmed again, it goes on
    assert fleet.procs[active][0].poll() is None, fleet.log(active)[-1500:]
    assert holder(settings, fleet.lock).pid == active and ACTIVE not in fleet.log(waiting)
    fleet.stop()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_standby_stops_cleanly_on_sigterm_while_it_waits(
    store, request, kafka_bootstrap, tmp_path
):
    settings = relay_settings(request.getfixturevalue(f"{store}_settings"), kafka_bootstrap)
    topic = unique_topic("standby-term")
    fleet = Fleet(settings, topic, tmp_path)
    fleet.add()
    active = fleet.active()
    fleet.add()
    (waiting,) = fleet.standing_by(1)
    assert f"standing by for the relay lock held by pid {active}" in fleet.log(waiting)
    proc, log = fleet.procs[waiting]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0, log.read_text()[-1500:]
    text = log.read_text()
    assert "standby relay stopped before taking over" in text and "Traceback" not in text
    assert ACTIVE not in text
    assert standbys(settings, fleet.lock) == ()
    assert holder(settings, fleet.lock).pid == active
    fleet.stop()

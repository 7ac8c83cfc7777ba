"""Two alert routers on one PostgreSQL store share the work (decision 0023): the Kafka
consumer group splits the intents' partitions, claims split the due notices, and every
intent's warning reaches the coordinator once — also while each router is SIGKILLed at
random moments and restarted.

Each router runs as operators run it, ``python -m peerpulse alerts run``, against the
embedded broker, PostgreSQL and a real SMTP server that takes a little while per message
(as a real one does, so sends overlap). Messages are counted by ``Message-ID`` (the
notice's idempotency key). While both routers live, no key arrives twice. A router killed
between its SMTP server accepting a message and the settlement of that notice leaves the
notice claimed but pending; once the claim's lease runs out a router sends it again under
the same key (at-least-once, the one documented exception), so across the kills the
repeats are at most one per kill, and never a second key for one intent.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from consumers.alerts.intents import encode
from infra.lock_holder import sharers
from peerpulse.build import build
from tests.unit.alerts.factories import lapsed

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

PARTITIONS = 4
GROUPS, MEMBERS = 4, 8  # 32 members: one lapse warning each
LEASE_S = 6.0


class SlowSink:
    """An SMTP handler that takes ``delay`` per message and keeps each one's headers."""

    def __init__(self, delay: float) -> None:
        self.delay, self.lock, self.got = delay, threading.Lock(), []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.got.append((msg["Message-ID"], str(msg["Subject"])))
        return "250 OK"

    def ids(self) -> Counter:
        with self.lock:
            return Counter(mid for mid, _ in self.got)


@pytest.fixture
def slow_smtp() -> Iterator[tuple[int, SlowSink]]:
    from aiosmtpd.controller import Controller

    from infra.broker import free_port

    sink, port = SlowSink(0.3), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


class Routers:
    """``alerts run`` processes on one store and topic; kills and restarts them."""

    def __init__(self, env: dict[str, str], topic: str, logs: Path) -> None:
        self.env, self.topic, self.logs = env, topic, logs
        self.procs: list[subprocess.Popen] = []
        self.started = 0

    def start(self) -> subprocess.Popen:
        log = (self.logs / f"router-{self.started}.log").open("wb")
        self.started += 1
        proc = subprocess.Popen(
            [sys.executable, "-m", "peerpulse", "alerts", "run", "--topic", self.topic],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def live(self) -> list[subprocess.Popen]:
        return [p for p in self.procs if p.poll() is None]

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL a random live router and start a new one in its place."""
        victim = rng.choice(self.live())
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.start()

    def stop(self) -> list[int]:
        for p in self.live():
            p.send_signal(signal.SIGTERM)
        return [p.wait(timeout=30) for p in self.procs]

    def output(self) -> str:
        return "\n".join(
            f"--- {f.name}\n{f.read_text(errors='replace')[-2000:]}"
            for f in sorted(self.logs.glob("router-*.log"))
        )


@pytest.fixture
def routers(postgres_settings, kafka_bootstrap, slow_smtp, tmp_path) -> Iterator[Routers]:
    s = postgres_settings
    topic = f"test.alerts.scale.{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PEERPULSE_STORE": "postgres",
        "PEERPULSE_POSTGRES_DSN": s.postgres_dsn,
        "PEERPULSE_POSTGRES_SCHEMA": s.postgres_schema,
        "PEERPULSE_DATA_DIR": str(s.data_dir),
        "PEERPULSE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "PEERPULSE_TOPIC_PARTITIONS": str(PARTITIONS),
        "PEERPULSE_SMTP_PORT": str(slow_smtp[0]),
        "PEERPULSE_ALERTS_QUIET_START": "0",
        "PEERPULSE_ALERTS_QUIET_END": "0",
        "PEERPULSE_ALERTS_SMTP_TIMEOUT_S": "3",
        "PEERPULSE_ALERTS_HTTP_TIMEOUT_S": "3",
        "PEERPULSE_ALERTS_CLAIM_LEASE_S": str(LEASE_S),
        "PEERPULSE_ALERTS_DELIVER_EVERY_S": "0.5",
        "PEERPULSE_STALL_AFTER_S": "0",
    }
    fleet = Routers(env, topic, tmp_path)
    try:
        yield fleet
    finally:
        for p in fleet.live():
            p.kill()
            p.wait(timeout=10)


def _seed(settings, now: datetime) -> list[tuple[str, str, str]]:
    """A program whose groups share one coordinator (e-mail), with members: (program,
    group, member) per member, each member with a name of its own."""
    c = build(settings)
    app = c.app
    program, coord = uuid.uuid4(), uuid.uuid4()
    app.launch_program(program, "Scale Circle", "Acme", "weekly", now)
    app.assign_coordinator(program, coord, "Ana", "ana@example.org", "UTC", "email", now)
    app.set_lead_coordinator(program, coord, now)
    members = []
    for g in range(GROUPS):
        group = uuid.uuid4()
        app.form_group(group, program, f"Circle {g}", "weekly", "ship", now, coordinator_id=coord)
        for m in range(MEMBERS):
            member = uuid.uuid4()
            app.register_member(member, f"p-{g}-{m}", f"Person G{g}M{m}", f"{member}@x.org", now)
            app.join_member(group, member, "peer", now)
            members.append((str(program), str(group), str(member)))
    c.close()
    return members


def _publish(bootstrap: str, topic: str, members, now: datetime, pause_s: float) -> None:
    from infra.kafka import producer

    prod = producer(bootstrap)
    for program, group, member in members:
        intent = replace(lapsed(member=member, group=group, at=now), program_id=program)
        prod.send(topic, key=group.encode(), value=encode(intent))
        prod.flush()
        time.sleep(pause_s)
    prod.close()


def _wait_for(sink: SlowSink, count: int, routers: Routers, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while len(sink.ids()) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(sink.ids()) >= count, routers.output()


def _until_listed(settings, routers: Routers, limit_s: float = 60) -> None:
    """Wait until every live router is running, as ``peerpulse status`` lists them."""
    deadline = time.monotonic() + limit_s
    while {h.pid for h in sharers(settings, "alerts")} != {p.pid for p in routers.live()}:
        assert time.monotonic() < deadline, routers.output()
        time.sleep(0.2)


def _claimers(settings) -> set[str]:
    import psycopg

    with psycopg.connect(settings.postgres_dsn) as conn:
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        rows = conn.execute(
            "SELECT DISTINCT claimed_by FROM alert_outbox WHERE status = 'delivered'"
        ).fetchall()
    return {r[0] for r in rows}


def test_two_routers_with_sigkills_deliver_every_intent_once(
    routers: Routers, postgres_settings, kafka_bootstrap, slow_smtp
):
    from infra.topics import ALERTS, create_topics

    _, sink = slow_smtp
    now = datetime.now(UTC)
    members = _seed(postgres_settings, now)
    create_topics(kafka_bootstrap, PARTITIONS, (replace(ALERTS, name=routers.topic),))
    first, second = members[: len(members) // 2], members[len(members) // 2 :]
    routers.start(), routers.start()
    _until_listed(postgres_settings, routers)

    # both alive: the work is shared, and no key arrives twice
    _publish(kafka_bootstrap, routers.topic, first, now, pause_s=0.1)
    _wait_for(sink, len(first), routers, limit_s=90)
    calm = sink.ids()
    assert max(calm.values()) == 1, f"sent twice while both routers lived: {calm}"
    assert len(_claimers(postgres_settings)) == 2, "both routers sent some notices"
    _until_listed(postgres_settings, routers)  # still both, as `peerpulse status` lists them

    # SIGKILL a router at random moments while intents keep coming
    rng, kills = random.Random(), 0
    publisher = threading.Thread(
        target=_publish, args=(kafka_bootstrap, routers.topic, second, now, 0.5)
    )
    publisher.start()
    while publisher.is_alive() or kills < 5:
        time.sleep(rng.uniform(0.5, 2.5))
        routers.kill_one(rng)
        kills += 1
    publisher.join()
    _wait_for(sink, len(members), routers, limit_s=120)
    time.sleep(LEASE_S + 2)  # a late repeat after the last lease would be counted too

    ids = sink.ids()
    assert len(ids) == len(members), "one Message-ID per intent, no intent missing"
    subjects = {mid: subject for mid, subject in sink.got}
    named = {f"Person G{g}M{m}" for g in range(GROUPS) for m in range(MEMBERS)}
    assert {n for n in named if any(n in s for s in subjects.values())} == named
    repeats = sum(ids.values()) - len(ids)
    print(f"{kills} kills, {repeats} repeats by key, {len(_claimers(postgres_settings))} claimers")
    assert repeats <= kills, f"{repeats} repeats after {kills} kills: {ids}"
    assert all(code in (0, -signal.SIGKILL) for code in routers.stop()), routers.output()

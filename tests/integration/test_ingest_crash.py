"""SIGKILL in the middle of a 20,000-message ingest, then a restart: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from consumers.ingest.mapper import apply
from domain.application import EngagementApp
from infra.contract.inbound.decoder import Command, decode
from tests.integration.ingest_kit import container, positions, publish, topics, wait_for
from tests.integration.ingest_kit.stream import aggregate_ids, fingerprint, synthetic_stream
from tests.unit.ingest.conftest import NOW, FakeVault

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
TOTAL = 20_000


def reference(stream) -> EngagementApp:
    """The uninterrupted outcome: every message applied once, in order, in memory."""
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=FakeVault())
    for _, raw in stream:
        command = decode(raw, None, NOW)
        assert isinstance(command, Command)
        with app.batch():
            apply(app, command)
    return app


def start(settings, bootstrap, topic, dlq) -> subprocess.Popen:
    env = {**os.environ, "PEERPULSE_DATA_DIR": str(settings.data_dir),
           "PEERPULSE_STORE": settings.store, "PEERPULSE_POSTGRES_DSN": settings.postgres_dsn,
           "PEERPULSE_POSTGRES_SCHEMA": settings.postgres_schema,
           "PEERPULSE_KAFKA_BOOTSTRAP": bootstrap}  # fmt: skip
    cmd = [sys.executable, "-m", "peerpulse", "ingest", "--topic", topic, "--dlq-topic", dlq,
           "--group-id", f"crash-{topic}", "--max-records", "500"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_then_restart_leaves_the_store_as_an_uninterrupted_run(
    store_settings, kafka_bootstrap
):
    topic, dlq = topics(kafka_bootstrap)
    stream = synthetic_stream(TOTAL)
    publish(kafka_bootstrap, topic, stream)
    c = container(store_settings, kafka_bootstrap)
    proc = start(store_settings, kafka_bootstrap, topic, dlq)
    try:
        wait_for(lambda: positions(c.app, topic) >= TOTAL // 4, timeout=180, what="a quarter")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = positions(c.app, topic)
        assert killed_at < TOTAL
        proc = start(store_settings, kafka_bootstrap, topic, dlq)
        wait_for(lambda: positions(c.app, topic) == TOTAL, timeout=300, what="all applied")
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, proc.stderr.read().decode()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    ids = aggregate_ids()
    assert fingerprint(c.app, ids) == fingerprint(reference(stream), ids)
    c.close()

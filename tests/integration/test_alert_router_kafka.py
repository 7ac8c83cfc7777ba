"""The router as a real process on the embedded Kafka broker: SIGKILL during deliveries,
restart, and every alert still arrives at least once, duplicates with the same key.

Run as ``python -m tests.integration.test_alert_router_kafka CONFIG.json`` it is that
process: the production service with a fixed coordinator directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consumers.alerts.intents import encode
from consumers.alerts.model import Recipient, Routing
from tests.unit.alerts.factories import PROGRAM, lapsed, recipient

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ALERTS_TOTAL = 24


def _start(config: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PEERPULSE_ALERTS_QUIET_START": "0",
        "PEERPULSE_ALERTS_QUIET_END": "0",
        "PEERPULSE_ALERTS_DELIVER_EVERY_S": "0.1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.test_alert_router_kafka", str(config)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parents[2],
    )


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(f"router exited early: {log.read_text()[-3000:]}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}: {log.read_text()[-3000:]}")


def test_sigkill_mid_delivery_then_restart_delivers_everything_with_stable_keys(
    kafka_bootstrap, webhook_receiver, tmp_path
):
    from infra.kafka import producer
    from infra.topics import ALERTS, create_topics

    topic = f"test.alerts.{uuid.uuid4().hex[:8]}"
    create_topics(kafka_bootstrap, 3, (replace(ALERTS, name=topic),))
    who = recipient(channel="webhook", address=f"{webhook_receiver.url}/slow/ana")
    groups = [str(uuid.uuid4()) for _ in range(ALERTS_TOTAL)]
    config = tmp_path / "router.json"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path / "pp"),
                "bootstrap": kafka_bootstrap,
                "topic": topic,
                "recipient": asdict(who),
                "groups": groups,
            }
        )
    )
    now = datetime.now(UTC)
    prod = producer(kafka_bootstrap)
    for g in groups:
        prod.send(topic, key=g.encode(), value=encode(lapsed(group=g, at=now)))
    prod.flush()
    prod.close()

    log = tmp_path / "router.log"
    first = _start(config, log)
    _wait(lambda: len(webhook_receiver.requests) >= 5, 60, "first deliveries", first, log)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    delivered_before_kill = len(webhook_receiver.requests)
    assert delivered_before_kill < ALERTS_TOTAL, "the kill must land mid-delivery"

    second = _start(config, log)
    try:

        def keys() -> set[str]:
            return {h["Idempotency-Key"] for _, h, _ in webhook_receiver.requests}

        _wait(lambda: len(keys()) == ALERTS_TOTAL, 90, "every alert", second, log)
        time.sleep(0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    by_alert: dict[str, set[str]] = defaultdict(set)
    for _, headers, body in webhook_receiver.requests:
        by_alert[body["alerts"][0]["alert_id"]].add(headers["Idempotency-Key"])
    assert len(by_alert) == ALERTS_TOTAL, "every alert delivered at least once"
    assert all(len(k) == 1 for k in by_alert.values()), "a duplicate carries the same key"
    assert len(webhook_receiver.requests) - ALERTS_TOTAL <= 2, "at most the in-flight resend"
    store = _store(tmp_path / "pp")
    assert len(store.list(limit=1000)) == ALERTS_TOTAL, "no intent applied twice"
    assert {a.status for a in store.list(limit=1000)} == {"delivered"}


def _store(data_dir: Path):
    from consumers.alerts.sql import Database
    from consumers.alerts.store import AlertStore
    from infra.settings import Settings

    return AlertStore(Database(Settings(_env_file=None, data_dir=data_dir)))


def _serve(config_path: str) -> int:
    """Entry point of the router subprocess."""
    from consumers.alerts.directory import StaticDirectory
    from infra.settings import Settings
    from peerpulse.build import build
    from peerpulse.commands.alerts import run_service

    cfg = json.loads(Path(config_path).read_text())
    who = Recipient(**cfg["recipient"])
    routings = {
        g: Routing(PROGRAM, g, who, who, "Founders Circle", f"Circle {i}")
        for i, g in enumerate(cfg["groups"])
    }
    settings = Settings(
        _env_file=None,
        data_dir=Path(cfg["data_dir"]),
        kafka_bootstrap=cfg["bootstrap"],
        kafka_session_timeout_ms=6000,
    )
    container = build(settings, alert_directory=StaticDirectory(routings, {}))
    return run_service(container, cfg["topic"])


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    sys.exit(_serve(sys.argv[1]))

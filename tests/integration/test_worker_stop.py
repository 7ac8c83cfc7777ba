"""A projection worker stops promptly on SIGTERM, even when its broker is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from infra.broker import BrokerError, EmbeddedBroker, free_port
from infra.kafka import producer
from projections.worker.wire import ProjectionTopics

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _worker(tmp_path: Path, bootstrap: str) -> tuple[subprocess.Popen, list[str], threading.Thread]:
    env = {
        **os.environ,
        "PEERPULSE_DATA_DIR": str(tmp_path / "data"),
        "PEERPULSE_STORE": "sqlite",
        "PEERPULSE_KAFKA_BOOTSTRAP": bootstrap,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "peerpulse", "worker"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    return proc, lines, reader


def _publish_junk(bootstrap: str) -> None:
    out = producer(bootstrap)
    out.send(ProjectionTopics().events, key=b"junk", value=b"not an event")
    out.flush()
    out.close()


def _wait_for(lines: list[str], text: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in lines):
        assert proc.poll() is None, "".join(lines[-20:])
        assert time.monotonic() < deadline, f"no {text!r} in:\n" + "".join(lines[-20:])
        time.sleep(0.2)


def test_sigterm_stops_a_worker_within_five_seconds_after_its_broker_is_gone(tmp_path: Path):
    broker = EmbeddedBroker(port=free_port(), log_dir=tmp_path)
    try:
        broker.start()
    except BrokerError as exc:
        pytest.skip(f"embedded Kafka broker ({exc})")
    proc, lines, reader = _worker(tmp_path, broker.bootstrap)
    try:
        _wait_for(lines, "ConsumerThread]: Starting", proc, timeout=60)
        _publish_junk(broker.bootstrap)
        _wait_for(lines, "undecodable record", proc, timeout=60)  # the agent is consuming
        broker.stop()
        time.sleep(1)  # the worker has noticed: its fetches and heartbeats fail
        assert proc.poll() is None, "".join(lines[-20:])
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("the worker ignored SIGTERM for 15 s with its broker gone")
        took = time.monotonic() - asked
        assert took < 5.0, f"the worker took {took:.1f} s to stop"
        reader.join(5)
        assert any("stop did not complete within" in line for line in lines), lines[-5:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        broker.stop()

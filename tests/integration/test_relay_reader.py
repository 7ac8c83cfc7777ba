"""The relay's reader process lives and dies with its relay (docs/decisions/0014).

``peerpulse relay`` runs as the operator runs it (``python -m peerpulse relay``); its
reader is the one child process it starts. Each test kills or signals one side and
checks what the other does: no orphan, no traceback, one clear line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from infra.broker import free_port
from peerpulse.build import build
from tests.integration.relay_kit import (  # reap_relays: autouse clean-up
    assert_published_exactly_once,
    children,
    errors,
    reap_relays,  # noqa: F401
    record_history,
    relay_env,
    relay_settings,
    running,
    start_relay,
    the_reader_of,
    unique_topic,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def relayed_store(sqlite_settings, kafka_bootstrap):
    """Settings for a store holding a short history, and a fresh topic."""
    settings = relay_settings(sqlite_settings, kafka_bootstrap)
    container = build(settings)
    record_history(container.app, 600)
    container.close()
    return settings, unique_topic("reader")


def test_the_reader_exits_when_its_relay_is_killed(relayed_store, tmp_path):
    settings, topic = relayed_store
    log = tmp_path / "relay.log"
    relay = start_relay(settings, topic, log)
    wait_for(log, "resuming from", relay)
    the_reader_of(relay)
    helpers = children(relay.pid)  # the reader and multiprocessing's resource tracker
    relay.send_signal(signal.SIGKILL)
    relay.wait(10)
    deadline = time.monotonic() + 10
    while alive := [pid for pid in helpers if running(pid)]:
        assert time.monotonic() < deadline, f"{alive} outlived their relay by 10 s"
        time.sleep(0.05)


def test_a_killed_reader_stops_the_relay_with_one_line(relayed_store, tmp_path):
    settings, topic = relayed_store
    log = tmp_path / "relay.log"
    relay = start_relay(settings, topic, log)
    wait_for(log, "resuming from", relay)
    os.kill(the_reader_of(relay), signal.SIGKILL)
    assert relay.wait(30) == 5, log.read_text()[-1500:]
    lines = errors(log)
    assert len(lines) == 1 and "reader process exited unexpectedly" in lines[0], lines
    assert "Traceback" not in log.read_text()


def test_sigterm_to_the_process_group_stops_relay_and_reader_cleanly(
    relayed_store, kafka_bootstrap, tmp_path
):
    settings, topic = relayed_store
    log = tmp_path / "relay.log"
    relay = start_relay(settings, topic, log, start_new_session=True)
    wait_for(log, "resuming from", relay)
    reader = the_reader_of(relay)
    os.killpg(relay.pid, signal.SIGTERM)  # what the supervisor and a terminal do
    assert relay.wait(30) == 0, log.read_text()[-1500:]
    assert "relay stopped after publishing" in log.read_text() and not errors(log)
    assert not running(reader)
    container = build(settings)
    try:
        assert_published_exactly_once(container.app, kafka_bootstrap, topic)
    finally:
        container.close()


def test_a_store_the_reader_cannot_open_stops_the_relay_with_one_line(relayed_store, tmp_path):
    settings, topic = relayed_store
    broken = tmp_path / "broken"
    (broken / settings.sqlite_path.name).mkdir(parents=True)  # a directory, not a database
    log = tmp_path / "relay.log"
    nowhere = f"127.0.0.1:{free_port()}"  # the store is checked before any Kafka client is made
    env = {"PEERPULSE_DATA_DIR": str(broken), "PEERPULSE_KAFKA_BOOTSTRAP": nowhere}
    relay = start_relay(settings, topic, log, env=env)
    # the relay brings the event store to head before its reader starts (decision 0018):
    # a store it cannot open stops it there, with the store named
    assert relay.wait(60) == 2, log.read_text()[-1500:]
    lines = errors(log)
    assert len(lines) == 1 and "cannot bring the events store" in lines[0], lines
    assert str(broken) in lines[0], lines
    assert "Traceback" not in log.read_text()


def test_a_program_that_forgets_to_close_its_relay_still_exits(relayed_store, tmp_path):
    settings, topic = relayed_store
    script = (
        "from peerpulse.build import build\n"
        f"relay = build(relay_topic={topic!r}).relay\n"
        "relay.start()\n"
        "print(relay.reader._process.pid, flush=True)\n"  # and no relay.close()
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=relay_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert not running(int(done.stdout.split()[0]))

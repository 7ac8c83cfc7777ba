"""A running relay outlives a broker restart and refills the empty topic (issue 17).

The embedded broker keeps nothing: restarted on the same port it comes back with no
topics and does not know the relay's idempotent producer. The relay, run as the operator
runs it, must notice, wait for the broker, find its position again from the topic (now
empty) and republish the whole history once, then go on with what is new.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

import pytest

from infra.broker import EmbeddedBroker, free_port
from infra.kafka import read_all
from infra.relay_positions import position_of
from peerpulse.build import build
from tests.integration.relay_kit import (  # reap_relays: autouse clean-up
    _form,
    _id,
    assert_published_exactly_once,
    expected_records,
    reap_relays,  # noqa: F401
    record_history,
    relay_settings,
    start_relay,
    unique_topic,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
TANSU_PARTITIONS = 4
"""Tansu creates a missing topic on any producer's metadata request, with 4 partitions,
whatever the client asks (decision 0004, quirk 7): the relay's old producer may do so on
the restarted broker before the relay creates it. The relay uses the count the topic has;
the test configures the same count so either way the records land where it expects."""


def wait_until_published(app, bootstrap: str, topic: str, proc, timeout: float = 120) -> None:
    """Wait until the topic holds every record the store implies (the relay stays up)."""
    expected = set(expected_records(app, TANSU_PARTITIONS))
    deadline, seen = time.monotonic() + timeout, set()
    while not expected <= seen:
        assert proc.poll() is None, f"the relay exited with {proc.returncode}"
        assert time.monotonic() < deadline, f"{len(expected - seen)} records never arrived"
        time.sleep(0.5)
        try:
            seen = {(r.partition, position_of(r.headers)) for r in read_all(bootstrap, topic)}
        except Exception:  # the topic may not exist yet on the restarted broker
            seen = set()


def test_a_running_relay_survives_a_broker_restart_and_refills_the_topic(sqlite_settings, tmp_path):
    port, topic = free_port(), unique_topic("bounce")
    first = EmbeddedBroker(host="127.0.0.1", port=port, log_dir=tmp_path / "first").start()
    second = None
    settings = relay_settings(sqlite_settings, first.bootstrap, TANSU_PARTITIONS)
    container = build(settings, relay_topic=topic)
    try:
        record_history(container.app, 600)
        log = tmp_path / "relay.log"
        proc = start_relay(settings, topic, log, "--batch-size", "200")
        wait_for(log, "resuming from", proc)
        wait_until_published(container.app, first.bootstrap, topic, proc)
        first.stop()
        second = EmbeddedBroker(host="127.0.0.1", port=port, log_dir=tmp_path / "second")
        second.start()
        now = datetime(2031, 1, 6, 9, tzinfo=UTC)
        _form(container.app, _id("program", 0), 900, now)
        container.app.tick(now)
        wait_until_published(container.app, second.bootstrap, topic, proc)
        assert_published_exactly_once(container.app, second.bootstrap, topic, TANSU_PARTITIONS)
        assert proc.poll() is None, log.read_text()[-2000:]
        text = log.read_text()
        assert text.count("lost the broker") == 1 and text.count("broker is back") == 1, text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()[-2000:]
    finally:
        container.close()
        first.stop()
        if second is not None:
            second.stop()

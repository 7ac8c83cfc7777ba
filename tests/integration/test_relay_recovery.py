"""The relay survives SIGKILL mid-batch, refills an empty broker, and quarantines a bad event.

The relay runs as the operator runs it: ``python -m peerpulse relay`` with PEERPULSE_*
environment variables pointing at the test's SQLite store and the broker.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time

import pytest

from infra.broker import EmbeddedBroker, free_port
from infra.kafka import read_all
from infra.relay_positions import position_of
from infra.relay_quarantine import dlq_topic_for
from peerpulse.build import build
from tests.integration.relay_kit import (
    assert_published_exactly_once,
    reap_relays,  # noqa: F401 - autouse clean-up
    record_history,
    relay_settings,
    start_relay,
    unique_topic,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_relay_killed_at_random_moments_loses_and_duplicates_nothing(
    sqlite_settings, kafka_bootstrap, tmp_path
):
    settings, topic = relay_settings(sqlite_settings, kafka_bootstrap), unique_topic("kill")
    container = build(settings, relay_topic=topic)
    try:
        last = record_history(container.app, 10_000)
        rng, kills, progress = random.Random(7), 0, []
        while kills < 6:
            log = tmp_path / f"relay-{kills}.log"
            proc = start_relay(settings, topic, log, "--batch-size", "150")
            wait_for(log, "resuming from", proc)
            time.sleep(rng.uniform(0.02, 0.35))
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            kills += 1
            progress.append(log.read_text().split("resuming from ")[1].split()[0])
        assert kills >= 5, "the relay finished before it could be killed five times"
        log = tmp_path / "relay-final.log"
        final = start_relay(settings, topic, log, "--until-caught-up")
        assert final.wait(120) == 0, log.read_text()
        assert_published_exactly_once(container.app, kafka_bootstrap, topic)
        print("resume positions after each kill:", progress)
        assert len(set(progress)) > 1 and last >= 10_000
    finally:
        container.close()


def test_a_broker_that_restarted_empty_gets_the_whole_history_once(sqlite_settings, tmp_path):
    topic = unique_topic("refill")
    with EmbeddedBroker(host="127.0.0.1", port=free_port()) as first:
        settings = relay_settings(sqlite_settings, first.start().bootstrap)
        container = build(settings, relay_topic=topic)
        record_history(container.app, 1500)
        container.relay.run(until_caught_up=True)
        container.relay.close()
        container.close()
    with EmbeddedBroker(host="127.0.0.1", port=free_port()) as second:
        settings = relay_settings(sqlite_settings, second.start().bootstrap)
        log = tmp_path / "relay.log"
        assert start_relay(settings, topic, log, "--until-caught-up").wait(120) == 0
        assert "resuming from 1" in log.read_text()
        container = build(settings, relay_topic=topic)
        try:
            assert_published_exactly_once(container.app, second.bootstrap, topic)
            assert start_relay(settings, topic, log, "--until-caught-up").wait(120) == 0
            assert_published_exactly_once(container.app, second.bootstrap, topic)
        finally:
            container.close()


def test_an_undecodable_stored_event_is_quarantined_naming_its_notification_id(
    sqlite_settings, kafka_bootstrap, tmp_path
):
    settings, topic = relay_settings(sqlite_settings, kafka_bootstrap), unique_topic("corrupt")
    container = build(settings, relay_topic=topic)
    record_history(container.app, 600)
    container.close()
    with sqlite3.connect(settings.sqlite_path) as db:
        db.execute("UPDATE stored_events SET state = x'00ff13' WHERE rowid = 321")
    log = tmp_path / "relay.log"
    proc = start_relay(settings, topic, log, "--until-caught-up")
    assert proc.wait(120) == 0, log.read_text()[-1500:]
    errors = [line for line in log.read_text().splitlines() if "quarantined" in line]
    assert len(errors) == 1 and "notification id 321 " in errors[0], log.read_text()[-1500:]
    positions = [position_of(r.headers) for r in read_all(kafka_bootstrap, topic)]
    assert 320 in positions and 322 in positions and 321 not in positions
    letters = read_all(kafka_bootstrap, dlq_topic_for(topic))
    assert [position_of(r.headers) for r in letters] == [321]


def test_sigterm_stops_a_live_relay_cleanly_after_its_batch(
    sqlite_settings, kafka_bootstrap, tmp_path
):
    settings, topic = relay_settings(sqlite_settings, kafka_bootstrap), unique_topic("term")
    container = build(settings, relay_topic=topic)
    try:
        record_history(container.app, 3000)
        log = tmp_path / "relay.log"
        proc = start_relay(settings, topic, log, "--batch-size", "200")
        wait_for(log, "resuming from", proc)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()[-1500:]
        assert "relay stopped after publishing" in log.read_text()
        assert start_relay(settings, topic, log, "--until-caught-up").wait(120) == 0
        assert_published_exactly_once(container.app, kafka_bootstrap, topic)
    finally:
        container.close()

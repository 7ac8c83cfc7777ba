"""One stored event the relay cannot publish goes to its DLQ; the relay goes on (issue 17).

The bad events are real stored rows: one whose data its wire model refuses (an attendance
status the contract does not know) and the newest one, whose bytes do not decode at all.
The events on both sides are published in order; each bad one is on the relay's DLQ once,
with its reason and its stored bytes. A restarted relay re-reads the newest (no partition
holds it, so every watermark is below it) and does not send it again.
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
import time
from datetime import UTC, datetime

import pytest

from infra import metrics
from infra.kafka import read_all
from infra.relay_positions import position_of
from infra.relay_quarantine import dlq_topic_for
from peerpulse.build import build
from tests.integration.relay_kit import (  # reap_relays: autouse clean-up
    assert_published_exactly_once,
    reap_relays,  # noqa: F401
    record_history,
    relay_settings,
    start_relay,
    unique_topic,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def spoil(settings, corrupt: int) -> tuple[int, bytes]:
    """Give one stored AttendanceMarked a status the wire model refuses and make the
    event at ``corrupt`` undecodable; returns the first one's notification id and bytes."""
    with sqlite3.connect(settings.sqlite_path) as db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Group.AttendanceMarked'"
            " AND rowid > 400 ORDER BY rowid LIMIT 1"
        ).fetchone()
        bad = bytes(state).replace(b'"status":"present"', b'"status":"on-the-moon"')
        assert bad != bytes(state)
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (bad, rowid))
        db.execute("UPDATE stored_events SET state = x'00ff13' WHERE rowid = ?", (corrupt,))
    return rowid, bad


def dead_letters(bootstrap: str, topic: str) -> list[dict]:
    return [json.loads(r.value) for r in read_all(bootstrap, dlq_topic_for(topic))]


def test_events_the_relay_cannot_translate_are_quarantined_once_and_the_rest_published(
    sqlite_settings, kafka_bootstrap, tmp_path, caplog
):
    settings, topic = relay_settings(sqlite_settings, kafka_bootstrap), unique_topic("quarantine")
    container = build(settings, relay_topic=topic)
    try:
        corrupt = record_history(container.app, 600)
        refused, refused_state = spoil(settings, corrupt)
        before = metrics.RELAY_QUARANTINED._value.get()
        caplog.set_level(logging.ERROR, logger="infra.relay")
        container.relay.run(until_caught_up=True)
        container.relay.close()
        assert metrics.RELAY_QUARANTINED._value.get() == before + 2
        logged = [r.getMessage() for r in caplog.records if "quarantined" in r.getMessage()]
        assert len(logged) == 2 and f"notification id {refused} " in logged[0], logged
        bad = frozenset({corrupt, refused})
        records = assert_published_exactly_once(
            container.app, kafka_bootstrap, topic, quarantined=bad
        )
        positions = {position_of(r.headers) for r in records}
        assert {refused - 1, refused + 1, corrupt - 1} <= positions
        assert not bad & positions
        letters = dead_letters(kafka_bootstrap, topic)
        assert [d["position"] for d in letters] == [refused, corrupt]
        assert base64.b64decode(letters[0]["state_base64"]) == refused_state
        assert letters[0]["stored_type"].endswith("Group.AttendanceMarked")
        assert "ValidationError" in letters[0]["reason"] and "status" in letters[0]["reason"]
        assert base64.b64decode(letters[1]["state_base64"]) == b"\x00\xff\x13"

        log = tmp_path / "relay.log"
        proc = start_relay(settings, topic, log)
        wait_for(log, "resuming from", proc)
        assert int(log.read_text().split("resuming from ")[1].split()[0]) <= corrupt
        container.app.tick(datetime(2031, 1, 1, tzinfo=UTC))
        deadline = time.monotonic() + 60
        while corrupt + 1 not in {position_of(r.headers) for r in read_all(kafka_bootstrap, topic)}:
            assert proc.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the tick after the bad event never arrived"
            time.sleep(0.2)
        assert proc.poll() is None and "quarantined" not in log.read_text()
        assert [d["position"] for d in dead_letters(kafka_bootstrap, topic)] == [refused, corrupt]
        assert_published_exactly_once(container.app, kafka_bootstrap, topic, quarantined=bad)
    finally:
        container.close()

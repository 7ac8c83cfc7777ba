"""``peerpulse alerts run`` as operators start it: the real EngagementApp decides who hears
about a lapse, Kafka carries the intent, SMTP carries the warning."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from consumers.alerts.intents import encode
from peerpulse.build import build
from tests.unit.alerts.factories import lapsed

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _seed(settings, now):
    """A program with a lead, a group with its own coordinator, and a member."""
    c = build(settings)
    app = c.app
    program, lead, coord, group, member = (uuid.uuid4() for _ in range(5))
    app.launch_program(program, "Founders Circle", "Acme", "weekly", now)
    app.assign_coordinator(program, lead, "Lee", "lee@example.org", "UTC", "email", now)
    app.assign_coordinator(program, coord, "Ana", "ana@example.org", "UTC", "email", now)
    app.set_lead_coordinator(program, lead, now)
    app.form_group(group, program, "Tuesday Circle", "weekly", "ship", now, coordinator_id=coord)
    app.register_member(member, "p-1", "Maria Lopez", "maria@example.org", now)
    app.join_member(group, member, "peer", now)
    c.close()
    return str(program), str(group), str(member)


def test_alerts_run_routes_a_lapse_to_the_groups_coordinator(
    kafka_bootstrap, smtp_server, sqlite_settings
):
    from infra.kafka import producer
    from infra.topics import ALERTS, create_topics

    now = datetime.now(UTC)
    program, group, member = _seed(sqlite_settings, now)
    topic = f"test.alerts.cli.{uuid.uuid4().hex[:8]}"
    create_topics(kafka_bootstrap, 1, (replace(ALERTS, name=topic),))
    intent = replace(lapsed(member=member, group=group, at=now), program_id=program)
    prod = producer(kafka_bootstrap)
    prod.send(topic, key=group.encode(), value=encode(intent))
    prod.flush()
    prod.close()
    env = {
        **os.environ,
        "PEERPULSE_DATA_DIR": str(sqlite_settings.data_dir),
        "PEERPULSE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "PEERPULSE_SMTP_PORT": str(smtp_server.port),
        "PEERPULSE_ALERTS_QUIET_START": "0",
        "PEERPULSE_ALERTS_QUIET_END": "0",
        "PEERPULSE_PUBLIC_URL": "https://pulse.example",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "peerpulse", "alerts", "run", "--topic", topic],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not smtp_server.messages and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert smtp_server.messages, out[-3000:]
    (mail,) = smtp_server.messages
    assert mail["To"] == "ana@example.org"
    assert "Maria Lopez has missed 3 sessions in a row in Tuesday Circle" in mail["Subject"]
    assert f"https://pulse.example/groups/{group}" in mail.get_body(("plain",)).get_content()
    assert proc.returncode == 0, out[-3000:]

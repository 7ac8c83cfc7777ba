"""Digests and escalation through the real store, delivery loop and SMTP server."""

from __future__ import annotations

from consumers.alerts.channels.mail import message_id
from consumers.alerts.directory import StaticDirectory
from consumers.alerts.policy import PolicyConfig
from tests.unit.alerts.factories import (
    FakeClock,
    container,
    health,
    lapsed,
    recipient,
    reengaged,
    routing,
)

CFG = PolicyConfig(ops=False)


def _wire(settings, smtp, r, clock):
    s = settings.model_copy(update={"smtp_port": smtp.port})
    c = container(s, StaticDirectory({r.group_id: r}, {"m-1": "Maria", "m-2": "Omar"}), clock)
    return c.alert_store, c.alert_deliverer


def test_daily_digest_arrives_once_at_the_digest_hour(sqlite_settings, smtp_server):
    clock = FakeClock()  # Wednesday 10:00 UTC
    r = routing(coordinator=recipient(digest="daily", digest_hour=8))
    store, deliverer = _wire(sqlite_settings, smtp_server, r, clock)
    store.receive(lapsed(member="m-1"), r, clock(), CFG)  # urgent: told at once
    deliverer.run_once()
    (lapse,) = smtp_server.messages
    assert lapse["Subject"].startswith("Maria has missed 3 sessions")
    store.receive(health("group-dormant", "dormant", "at_risk"), r, clock.advance(hours=1), CFG)
    store.receive(reengaged(member="m-1"), r, clock.advance(hours=1), CFG)
    deliverer.run_once()
    assert len(smtp_server.messages) == 1, "the rest waits for the digest"
    clock.advance(hours=20)  # Thursday 08:00
    deliverer.run_once()
    deliverer.run_once()
    (_, digest) = smtp_server.messages
    assert digest["Subject"] == "Your peerpulse digest: 2 updates on 1 group"
    assert digest["Message-ID"] == message_id("digest:coord-ana:2026-03-05")
    body = digest.get_body(("plain",)).get_content()
    assert body.index("Tuesday Circle has gone quiet") < body.index("Maria is taking part")


def test_unacknowledged_alert_is_escalated_to_the_lead_by_email(store_settings, smtp_server):
    clock = FakeClock()
    r = routing(days=1)
    store, deliverer = _wire(store_settings, smtp_server, r, clock)
    store.receive(lapsed(member="m-1"), r, clock(), CFG)
    deliverer.run_once()
    clock.advance(days=1, minutes=1)
    deliverer.run_once()
    to = [m["To"] for m in smtp_server.messages]
    assert to == ["ana@example.org", "lee@example.org"]
    assert smtp_server.messages[1]["Subject"].startswith("Escalation: Maria has missed")
    (alert,) = store.list()
    assert alert.status == "escalated"
    store.acknowledge(alert.alert_id, "coord-lee", "I will call Maria")
    store.receive(reengaged(member="m-1"), r, clock.advance(days=1), CFG)
    deliverer.run_once()
    assert [m["Subject"] for m in smtp_server.messages[2:]] == [
        "Back on track: Maria is taking part in Tuesday Circle again"
    ]
    events = [e.event for e in store.history(alert.alert_id)]
    assert events == [
        "raised",
        "delivered",
        "escalated",
        "delivered",
        "acknowledged",
        "resolved",
        "delivered",
    ]

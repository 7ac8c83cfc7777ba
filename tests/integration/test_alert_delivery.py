"""Delivery to real servers on loopback: SMTP (aiosmtpd), a webhook receiver, Alertmanager."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from consumers.alerts.channels.mail import message_id
from consumers.alerts.config import policy_config
from consumers.alerts.directory import StaticDirectory
from consumers.alerts.policy import PolicyConfig
from tests.unit.alerts.factories import (
    MEMBER,
    FakeClock,
    container,
    health,
    lapsed,
    recipient,
    reengaged,
    routing,
)

NAMES = {MEMBER: "Maria Lopez"}


def _wire(settings, smtp, r, clock, **alert_settings):
    s = settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "public_url": "https://pulse.example.org",
        }
    )
    c = container(s, StaticDirectory({r.group_id: r}, NAMES), clock, **alert_settings)
    return c, c.alert_store, c.alert_deliverer


def test_lapse_warning_email_is_multipart_readable_and_keyed(store_settings, smtp_server):
    clock, r = FakeClock(), routing()
    c, store, deliverer = _wire(store_settings, smtp_server, r, clock)
    store.receive(lapsed(misses=3), r, clock(), PolicyConfig(ops=False))
    deliverer.run_once()
    (mail,) = smtp_server.messages
    assert mail["To"] == "ana@example.org"
    key = store.list()[0].alert_id + ":raised"
    assert mail["Message-ID"] == message_id(key)
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Maria Lopez has missed 3 sessions in a row in Tuesday Circle" in text
    assert "Suggested next step" in text and "Since: 04 March 2026" in text
    assert f"https://pulse.example.org/groups/{r.group_id}" in text
    assert "Maria Lopez" in html
    assert store.list()[0].status == "delivered"


def test_forgotten_member_is_never_named(sqlite_settings, smtp_server):
    clock, r = FakeClock(), routing()
    s = sqlite_settings.model_copy(update={"smtp_port": smtp_server.port})
    c = container(s, StaticDirectory({r.group_id: r}, {MEMBER: None}), clock)
    c.alert_store.receive(lapsed(), r, clock(), PolicyConfig(ops=False))
    c.alert_deliverer.run_once()
    subject = smtp_server.messages[0]["Subject"]
    # described, with the pseudonymous label the dashboard shows in place of a name
    assert subject.startswith("a member who asked to be forgotten (Member 3333) has missed")


def test_webhook_and_slack_payloads_carry_the_idempotency_key(
    sqlite_settings, smtp_server, webhook_receiver
):
    clock = FakeClock()
    hook = recipient(channel="webhook", address=f"{webhook_receiver.url}/ok/generic")
    slack = recipient("coord-sam", channel="slack", address=f"{webhook_receiver.url}/ok/slack")
    r1, r2 = routing(coordinator=hook), routing(coordinator=slack, group=str(uuid.uuid4()))
    c = container(
        sqlite_settings, StaticDirectory({r1.group_id: r1, r2.group_id: r2}, NAMES), clock
    )
    c.alert_store.receive(lapsed(), r1, clock(), PolicyConfig(ops=False))
    c.alert_store.receive(lapsed(group=r2.group_id), r2, clock(), PolicyConfig(ops=False))
    c.alert_deliverer.run_once()
    by_path = {path: (headers, body) for path, headers, body in webhook_receiver.requests}
    headers, generic = by_path["/ok/generic"]
    assert headers["Idempotency-Key"] == generic["idempotency_key"]
    assert generic["alerts"][0]["kind"] == "member-lapsed" and "Maria Lopez" in generic["text"]
    headers, slack_body = by_path["/ok/slack"]
    assert headers["Idempotency-Key"].endswith(":raised")
    assert slack_body["text"].startswith("Maria Lopez has missed")
    assert [b["type"] for b in slack_body["blocks"]] == ["header", "section", "context"]


def test_operations_team_sees_alerts_in_alertmanager_with_labels(
    sqlite_settings, smtp_server, alertmanager
):
    clock = FakeClock(datetime.now(UTC))  # Alertmanager judges endsAt by its wall clock
    g, at = str(uuid.uuid4()), clock()
    r = routing(group=g)
    c, store, deliverer = _wire(
        sqlite_settings, smtp_server, r, clock, alertmanager_url=alertmanager.url
    )
    cfg = policy_config(c.settings.alerts)
    store.receive(health("group-at-risk", "at_risk", "watch", group=g, at=at), r, clock(), cfg)
    store.receive(lapsed(group=g, at=at), r, clock(), cfg)
    deliverer.run_once()
    firing = alertmanager.alerts(group=g)
    assert {a["labels"]["alertname"] for a in firing} == {
        "PeerpulseGroupAtRisk",
        "PeerpulseMemberLapsed",
    }
    severity = {"group-at-risk": "critical", "member-lapsed": "warning"}  # act now: at risk
    for a in firing:
        assert a["labels"]["program"] == r.program_id
        assert a["labels"]["severity"] == severity[a["labels"]["kind"]]
        assert "Maria" not in str(a), "no personal data goes to operations"
    clock.now = datetime.now(UTC)
    store.receive(reengaged(group=g, at=clock()), r, clock(), cfg)
    deliverer.run_once()
    assert [a["labels"]["kind"] for a in alertmanager.alerts(group=g)] == ["group-at-risk"]
    # the episode goes dormant: the same alert, now under the dormant labels only
    clock.now = datetime.now(UTC)
    dormant = health("group-dormant", "dormant", "at_risk", version=9, group=g, at=clock())
    store.receive(dormant, r, clock(), cfg)
    deliverer.run_once()
    (still,) = alertmanager.alerts(group=g)
    assert (still["labels"]["alertname"], still["labels"]["severity"]) == (
        "PeerpulseGroupDormant",
        "warning",
    )


def test_alertmanager_lease_of_an_open_alert_moves_forward_at_each_refresh(
    sqlite_settings, smtp_server, alertmanager
):
    # Alertmanager judges endsAt by its wall clock and answers in whole milliseconds. Each
    # post also resolves the critical copy with endsAt = the (fake, ahead) clock, which this
    # Alertmanager therefore still lists: look at the warning copy.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    g = str(uuid.uuid4())
    r = routing(group=g)
    c, store, deliverer = _wire(
        sqlite_settings, smtp_server, r, clock, alertmanager_url=alertmanager.url
    )
    week = timedelta(hours=c.settings.alerts.ops_validity_hours)
    store.receive(lapsed(group=g, at=clock()), r, clock(), policy_config(c.settings.alerts))
    deliverer.run_once()
    raised_at = clock()
    (firing,) = alertmanager.alerts(group=g, severity="warning")
    assert _ends(firing) == raised_at + week
    clock.advance(minutes=59)
    deliverer.run_once()
    (firing,) = alertmanager.alerts(group=g, severity="warning")
    assert _ends(firing) == raised_at + week, "no refresh before the interval"
    clock.advance(minutes=2)
    deliverer.run_once()
    (firing,) = alertmanager.alerts(group=g, severity="warning")
    assert _ends(firing) == clock() + week == raised_at + week + timedelta(minutes=61)
    assert firing["status"]["state"] == "active"


def _ends(am_alert: dict) -> datetime:
    return datetime.fromisoformat(am_alert["endsAt"])


def test_an_escalated_then_resolved_alert_leaves_no_copy_firing_in_alertmanager(
    sqlite_settings, smtp_server, alertmanager
):
    # severity is a label, so warning and critical are two alerts to Alertmanager.
    clock = FakeClock(datetime.now(UTC))  # Alertmanager judges endsAt by its wall clock
    g = str(uuid.uuid4())
    r = routing(group=g, days=0)  # escalates at the first tick once the coordinator heard
    c, store, deliverer = _wire(
        sqlite_settings,
        smtp_server,
        r,
        clock,
        alertmanager_url=alertmanager.url,
        quiet_start=0,  # the wall clock's hour must not hold the coordinator's e-mail
        quiet_end=0,
    )
    cfg = policy_config(c.settings.alerts)
    store.receive(lapsed(group=g, at=clock()), r, clock(), cfg)
    deliverer.run_once()
    assert [a["labels"]["severity"] for a in alertmanager.alerts(group=g)] == ["warning"]
    clock.now = datetime.now(UTC)
    deliverer.tick()
    deliverer.run_once()
    assert store.list()[0].status == "escalated"
    assert [a["labels"]["severity"] for a in alertmanager.alerts(group=g)] == ["critical"]
    clock.now = datetime.now(UTC)
    store.receive(reengaged(group=g, at=clock()), r, clock(), cfg)
    deliverer.run_once()
    assert alertmanager.alerts(group=g) == []

"""A notice that cannot be sent as it stands fails alone: the notices queued behind it, for
other groups, are still delivered through the real SMTP sink, and nothing stays pending."""

from __future__ import annotations

import uuid
from dataclasses import replace

from consumers.alerts.directory import StaticDirectory
from consumers.alerts.model import Routing
from consumers.alerts.policy import PolicyConfig
from tests.unit.alerts.factories import FakeClock, container, lapsed, recipient, routing

CFG = PolicyConfig(ops=False)
INJECTION = "\r\nBcc: eve@example.org"


def _poison_then_good(settings, smtp, poison: Routing, poison_data: dict | None = None):
    """Queue the poison group's notice, then a minute later one for a well-formed group."""
    clock = FakeClock()
    good = routing(coordinator=recipient("coord-sam", address="sam@example.org"))
    good = replace(good, group_id=str(uuid.uuid4()))
    s = settings.model_copy(update={"smtp_host": smtp.host, "smtp_port": smtp.port})
    directory = StaticDirectory({poison.group_id: poison, good.group_id: good}, {})
    c = container(s, directory, clock)
    first = lapsed(group=poison.group_id)
    first = replace(first, data={**first.data, **(poison_data or {})})
    c.alert_store.receive(first, poison, clock(), CFG)
    clock.advance(minutes=1)
    c.alert_store.receive(lapsed(group=good.group_id), good, clock(), CFG)
    return c


def _failed_alone(c, poison: Routing):
    """The poison notice, failed with its reason after one try; nothing left pending."""
    (failed,) = c.alert_store.list(status="failed")
    assert failed.group_id == poison.group_id
    assert c.alert_store.pending_count() == 0
    assert "failed" in [e.event for e in c.alert_store.history(failed.alert_id)]
    (why,) = c.alert_store.failed_notices(failed.alert_id)
    assert why.attempts == 1 and c.sleeps == [], "retrying cannot help, so none was made"
    return why.error


def test_group_name_with_a_line_break_is_mailed_on_one_subject_line_and_the_next_group_hears(
    store_settings, smtp_server
):
    poison = replace(routing(), group_name="Tuesday" + INJECTION)
    c = _poison_then_good(store_settings, smtp_server, poison)
    c.alert_deliverer.run_once()
    assert smtp_server.handler.rcpt == [["ana@example.org"], ["sam@example.org"]]
    mail = smtp_server.messages[0]
    assert mail["Subject"].endswith("in a row in Tuesday Bcc: eve@example.org")
    assert mail["Bcc"] is None
    assert {a.status for a in c.alert_store.list()} == {"delivered"}
    assert c.alert_store.pending_count() == 0


def test_contact_with_a_line_break_fails_that_notice_and_the_next_group_hears(
    store_settings, smtp_server
):
    poison = routing(coordinator=recipient(address="ana@example.org" + INJECTION))
    c = _poison_then_good(store_settings, smtp_server, poison)
    c.alert_deliverer.run_once()
    assert smtp_server.handler.rcpt == [["sam@example.org"]]
    error = _failed_alone(c, poison)
    assert "coord-ana is not one e-mail address" in error
    c.alert_deliverer.run_once()
    assert len(smtp_server.messages) == 1, "the failed notice is not tried again"


def test_notice_that_cannot_be_rendered_fails_alone_and_the_next_group_hears(
    store_settings, smtp_server
):
    poison = routing()
    c = _poison_then_good(store_settings, smtp_server, poison, {"last_seen": "last Tuesday"})
    c.alert_deliverer.run_once()
    assert smtp_server.handler.rcpt == [["sam@example.org"]]
    error = _failed_alone(c, poison)
    assert error.startswith("cannot be sent: ValueError") and "last Tuesday" in error
    c.alert_deliverer.run_once()
    assert len(smtp_server.messages) == 1, "the failed notice is not tried again"

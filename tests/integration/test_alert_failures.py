"""A down SMTP server or a webhook answering 500: retried with backoff, then shown failed;
other alerts keep flowing."""

from __future__ import annotations

import argparse
import uuid

from consumers.alerts.directory import StaticDirectory
from consumers.alerts.policy import PolicyConfig
from infra.broker import free_port
from peerpulse.commands import alerts as alerts_command
from tests.unit.alerts.factories import FakeClock, container, lapsed, recipient, routing

CFG = PolicyConfig(ops=False)


def _cli_list_failed(settings, capsys) -> str:
    """``peerpulse alerts list --failed`` through the command's own parser and handler."""
    parser = argparse.ArgumentParser(prog="peerpulse")
    alerts_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["alerts", "list", "--failed"])
    capsys.readouterr()
    assert args.handler(args, settings) == 0
    return capsys.readouterr().out


def test_smtp_down_is_retried_then_failed_and_visible(sqlite_settings, webhook_receiver, capsys):
    clock = FakeClock()
    mailer = routing()  # e-mail to a port where nothing listens
    hooked = routing(
        coordinator=recipient(
            "coord-sam", channel="webhook", address=f"{webhook_receiver.url}/ok/sam"
        ),
        group=str(uuid.uuid4()),
    )
    s = sqlite_settings.model_copy(update={"smtp_port": free_port()})
    c = container(
        s,
        StaticDirectory({mailer.group_id: mailer, hooked.group_id: hooked}, {}),
        clock,
        attempts=4,
        backoff_base_s=0.5,
    )
    c.alert_store.receive(lapsed(), mailer, clock(), CFG)
    c.alert_store.receive(lapsed(group=hooked.group_id), hooked, clock(), CFG)
    c.alert_deliverer.run_once()
    assert c.sleeps == [0.5, 1.0, 2.0], "three pauses between four tries, doubling"
    assert len(webhook_receiver.requests) == 1, "the other coordinator still heard"
    (failed,) = c.alert_store.list(status="failed")
    assert failed.group_id == mailer.group_id
    (why,) = c.alert_store.failed_notices(failed.alert_id)
    assert why.attempts == 4 and "SMTP" in why.error
    assert "failed" in [e.event for e in c.alert_store.history(failed.alert_id)]
    c.alert_deliverer.run_once()
    assert len(c.sleeps) == 3, "a failed notice is not retried forever in a hot loop"
    listed = _cli_list_failed(s, capsys)
    assert failed.alert_id in listed and "SMTP" in listed


def test_webhook_500_is_retried_then_failed_while_email_keeps_flowing(
    sqlite_settings, webhook_receiver, smtp_server
):
    clock = FakeClock()
    broken = routing(
        coordinator=recipient(channel="webhook", address=f"{webhook_receiver.url}/fail/ana")
    )
    fine = routing(
        coordinator=recipient("coord-sam", address="sam@example.org"), group=str(uuid.uuid4())
    )
    s = sqlite_settings.model_copy(update={"smtp_port": smtp_server.port})
    c = container(
        s, StaticDirectory({broken.group_id: broken, fine.group_id: fine}, {}), clock, attempts=3
    )
    c.alert_store.receive(lapsed(), broken, clock(), CFG)
    c.alert_store.receive(lapsed(group=fine.group_id), fine, clock(), CFG)
    c.alert_deliverer.run_once()
    assert [p for p, _, _ in webhook_receiver.requests] == ["/fail/ana"] * 3
    keys = {h["Idempotency-Key"] for _, h, _ in webhook_receiver.requests}
    assert len(keys) == 1, "every retry carries the same idempotency key"
    assert [m["To"] for m in smtp_server.messages] == ["sam@example.org"]
    (failed,) = c.alert_store.list(status="failed")
    assert "500" in c.alert_store.failed_notices(failed.alert_id)[0].error

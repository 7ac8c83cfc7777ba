"""Builds the router and the delivery loop from the composition root's container."""

from __future__ import annotations

from typing import Any

import httpx

from consumers.alerts.channels.alertmanager import AlertmanagerChannel
from consumers.alerts.channels.mail import EmailChannel
from consumers.alerts.channels.webhook import WebhookChannel
from consumers.alerts.delivery import Deliverer, validity
from consumers.alerts.router import AlertRouter


def deliverer(c: Any) -> Deliverer:
    """The outbox loop with e-mail, webhook, Slack and (if configured) Alertmanager."""
    s, a = c.settings, c.alert_settings
    client = httpx.Client(timeout=a.http_timeout_s)
    channels = {
        "email": EmailChannel(s.smtp_host, s.smtp_port, s.smtp_from, a.smtp_timeout_s),
        "webhook": WebhookChannel(client),
        "slack": WebhookChannel(client, slack=True),
    }
    ops = (
        AlertmanagerChannel(client, a.alertmanager_url, validity(a)) if a.alertmanager_url else None
    )
    return Deliverer(
        c.alert_store,
        c.alert_directory,
        channels,
        ops,
        s.public_url,
        a,
        clock=c.alert_clock,
        sleeper=c.alert_sleeper,
    )


def router(c: Any, topic: str | None = None) -> AlertRouter:
    """A router consuming ``topic`` (default: the alert-intent topic) with a short session."""
    from infra.kafka import consumer

    a = c.alert_settings
    kafka = consumer(
        c.settings.kafka_bootstrap,
        a.group_id,
        topic or a.topic,
        session_timeout_ms=c.settings.kafka_session_timeout_ms,
    )
    return AlertRouter(kafka, c.alert_store, c.alert_directory, a.policy(), c.alert_clock)

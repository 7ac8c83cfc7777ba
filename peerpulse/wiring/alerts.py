"""Builds the alert router and the delivery loop from settings and the parts they need."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from consumers.alerts.channels import Channel
from consumers.alerts.channels.alertmanager import AlertmanagerChannel
from consumers.alerts.channels.mail import EmailChannel
from consumers.alerts.channels.webhook import WebhookChannel
from consumers.alerts.config import policy_config
from consumers.alerts.delivery import Deliverer, validity
from consumers.alerts.directory import CoordinatorDirectory
from consumers.alerts.router import AlertRouter
from consumers.alerts.store import AlertStore
from infra.settings import Settings


def deliverer(
    settings: Settings, store: AlertStore, directory: CoordinatorDirectory,
    clock: Callable[[], datetime], sleeper: Callable[[float], None],
) -> Deliverer:  # fmt: skip
    """The outbox loop with e-mail, webhook, Slack and (if configured) Alertmanager."""
    s, a = settings, settings.alerts
    client = httpx.Client(timeout=a.http_timeout_s)
    channels: dict[str, Channel] = {
        "email": EmailChannel(s.smtp_host, s.smtp_port, s.smtp_from, a.smtp_timeout_s),
        "webhook": WebhookChannel(client),
        "slack": WebhookChannel(client, slack=True),
    }
    ops = (
        AlertmanagerChannel(client, a.alertmanager_url, validity(a)) if a.alertmanager_url else None
    )
    return Deliverer(store, directory, channels, ops, s.public_url, a, clock=clock, sleeper=sleeper)


def router(
    settings: Settings, store: AlertStore, directory: CoordinatorDirectory,
    clock: Callable[[], datetime], topic: str | None = None,
) -> AlertRouter:  # fmt: skip
    """A router consuming ``topic`` (default: the alert-intent topic) with a short session."""
    from infra.kafka import consumer

    a = settings.alerts
    kafka = consumer(
        settings.kafka_bootstrap,
        a.group_id,
        topic or a.topic,
        session_timeout_ms=settings.kafka_session_timeout_ms,
    )
    return AlertRouter(kafka, store, directory, policy_config(a), clock)

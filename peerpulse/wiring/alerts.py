"""Builds the alert router and the delivery loop from settings and the parts they need."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

import httpx

from consumers.alerts.channels import Channel
from consumers.alerts.channels.alertmanager import AlertmanagerChannel
from consumers.alerts.channels.mail import EmailChannel
from consumers.alerts.channels.webhook import WebhookChannel
from consumers.alerts.config import policy_config
from consumers.alerts.delivery import Deliverer, validity
from consumers.alerts.directory import CoordinatorDirectory
from consumers.alerts.link_keys import signer
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
    return Deliverer(store, directory, channels, ops, s.public_url, a, clock=clock,
                     sleeper=sleeper, signer=cache(lambda: signer(s.link_secret, store.db)),
                     outcomes=episode_counts(s), router_id=router_id(s))  # fmt: skip


def router_id(settings: Settings) -> str:
    """Whose claims a delivery loop makes (decision 0023): unique per process on PostgreSQL,
    where several routers share the outbox; one fixed id on SQLite, whose single router (the
    singleton lock) takes its own claims back at once after a crash."""
    import os
    import socket
    import uuid

    from infra.sql import is_postgres

    if not is_postgres(settings):
        return "router"
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def episode_counts(settings: Settings) -> Callable[[set[str]], dict[str, dict[str, int]]]:
    """Each program's ``program_episodes`` row from the read model (the digest's last
    lines); an unreadable read model gives none rather than holding the digest up."""
    import logging

    from api.readmodel import ReadModelReader
    from projections.readmodel.tables import PROGRAM_EPISODES

    reader = ReadModelReader(settings)

    def counts(program_ids: set[str]) -> dict[str, dict[str, int]]:
        ids = sorted(program_ids)
        try:
            rows = reader.rows(
                f"SELECT * FROM {PROGRAM_EPISODES.name} "
                f"WHERE program_id IN ({', '.join('?' * len(ids))})", ids,
            )  # fmt: skip
        except Exception:
            logging.getLogger(__name__).warning("read model unreadable: digest without counts")
            return {}
        return {r["program_id"]: {k: int(v or 0) for k, v in r.items() if k != "program_id"}
                for r in rows}  # fmt: skip

    return counts


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

"""Builds what sits on the event store: the engagement app and the outbox relay."""

from __future__ import annotations

from domain.application import EngagementApp
from domain.vault import PersonalDataVault
from infra.kafka import producer
from infra.relay import PRODUCER_CONFIG, Relay
from infra.relay_reader import ReaderProcess
from infra.settings import Settings
from infra.sql import setup_lock


def engagement_app(settings: Settings, env: dict[str, str],
                   vault: PersonalDataVault) -> EngagementApp:  # fmt: skip
    """The app on the event store ``env`` names, sealing personal data with ``vault``."""
    with setup_lock(settings):  # it creates the event tables if missing
        return EngagementApp(env=env, vault=vault, snapshot_interval=settings.snapshot_interval)


def relay(settings: Settings, env: dict[str, str], topic: str) -> Relay:
    """The outbox relay from the notification log of the store ``env`` names to ``topic``."""
    bootstrap = settings.kafka_bootstrap
    return Relay(
        ReaderProcess(env),
        lambda: producer(bootstrap, **PRODUCER_CONFIG),
        bootstrap,
        topic,
        partitions=settings.topic_partitions,
    )

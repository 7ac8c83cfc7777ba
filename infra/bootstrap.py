"""The composition root: builds every long-lived object from one Settings.

Nothing here connects at import time; each CLI command calls :func:`build` once
and tests call it with their own settings. ``overrides`` replace any part
(e.g. a fake clock or an in-memory vault) by attribute name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from infra.settings import Settings


@dataclass
class Container:
    """Lazily-built parts of a peerpulse process."""

    settings: Settings
    overrides: dict[str, Any] = field(default_factory=dict)

    def __getattribute__(self, name: str) -> Any:
        overrides = object.__getattribute__(self, "overrides")
        if name in overrides:
            return overrides[name]
        return object.__getattribute__(self, name)

    @cached_property
    def eventstore_env(self) -> dict[str, str]:
        """The event store's eventsourcing env, once the store is known to be reachable."""
        from infra.eventstore import eventstore_env
        from infra.sql import check_reachable

        check_reachable(self.settings)
        return eventstore_env(self.settings)

    @cached_property
    def vault(self) -> Any:
        """The personal-data key store (kept apart from the event tables)."""
        from infra.vault import build_vault

        return build_vault(self.settings)

    @cached_property
    def app(self) -> Any:
        """The EngagementApp on the configured event store, sealing with :attr:`vault`."""
        from domain.application import EngagementApp
        from infra.sql import setup_lock

        env = self.eventstore_env
        with setup_lock(self.settings):  # it creates the event tables if missing
            return EngagementApp(
                env=env, vault=self.vault, snapshot_interval=self.settings.snapshot_interval
            )

    @cached_property
    def token_store(self) -> Any:
        """API tokens (hashed) in the configured SQL backend."""
        from api.auth.store import TokenStore

        return TokenStore(self.settings)

    @cached_property
    def attendance_publisher(self) -> Any:
        """Produces HTTP-posted attendance to the attendance topic (connects on first use)."""
        from api.ingest import AttendancePublisher

        return AttendancePublisher(self.settings.kafka_bootstrap)

    @cached_property
    def api_queries(self) -> Any:
        """The API's read side: read model, alerts and member profiles behind one facade."""
        from api.queries import Queries

        return Queries(self)

    @cached_property
    def relay_topic(self) -> str:
        """Where the relay publishes (``peerpulse.events.v1``; tests override it)."""
        from infra.topics import EVENTS

        return EVENTS.name

    @cached_property
    def relay(self) -> Any:
        """The outbox relay from the store's notification log to :attr:`relay_topic`."""
        from infra.kafka import producer
        from infra.relay import PRODUCER_CONFIG, Relay
        from infra.relay_reader import ReaderProcess

        bootstrap = self.settings.kafka_bootstrap
        return Relay(
            ReaderProcess(self.eventstore_env),
            lambda: producer(bootstrap, **PRODUCER_CONFIG),
            bootstrap,
            self.relay_topic,
            partitions=self.settings.topic_partitions,
        )

    # -- alert router (consumers/alerts) -------------------------------------
    @cached_property
    def alert_settings(self) -> Any:
        """Router tunables (``PEERPULSE_ALERTS_*``)."""
        from consumers.alerts.config import AlertSettings

        return AlertSettings()

    @cached_property
    def alert_clock(self) -> Any:
        """The wall clock as a callable; tests override it with a fake."""
        from datetime import UTC, datetime

        return lambda: datetime.now(UTC)

    @cached_property
    def alert_sleeper(self) -> Any:
        """Pauses between delivery retries; tests override it."""
        import time

        return time.sleep

    @cached_property
    def alert_store(self) -> Any:
        """The durable alert lifecycle and outbox (SQLite under data_dir, or PostgreSQL)."""
        from consumers.alerts.sql import Database
        from consumers.alerts.store import AlertStore

        return AlertStore(Database(self.settings), clock=self.alert_clock)

    @cached_property
    def alert_directory(self) -> Any:
        """Coordinators and display names, read from the engagement app."""
        from consumers.alerts.directory import AppDirectory

        return AppDirectory(self.app)

    @cached_property
    def alert_deliverer(self) -> Any:
        """The outbox loop with every channel wired from settings."""
        from consumers.alerts.wiring import deliverer

        return deliverer(self)

    def alert_router(self, topic: str | None = None) -> Any:
        """A router with its own Kafka consumer (call once per consuming thread)."""
        from consumers.alerts.wiring import router

        return router(self, topic)

    def close(self) -> None:
        """Release connections held by whatever was built."""
        for name in ("app", "vault"):
            obj = self.__dict__.get(name)
            if obj is not None and hasattr(obj, "close"):
                obj.close()


def build(settings: Settings | None = None, **overrides: Any) -> Container:
    """Build the container for one process."""
    return Container(settings=settings or Settings(), overrides=overrides)

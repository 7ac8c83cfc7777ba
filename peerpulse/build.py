"""The composition root: builds every long-lived object of a process from one Settings.

Nothing here connects at import time; each CLI command calls :func:`build` once and tests
call it with their own settings. A part is built on first use and kept; ``overrides``
(:class:`Overrides`, checked by name and type) replace a part, e.g. a fake clock or an
in-memory vault. How a role's parts fit together lives in :mod:`peerpulse.wiring`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, TypedDict, Unpack

from infra.settings import Settings

if TYPE_CHECKING:
    from api.auth.store import TokenStore
    from api.lag import LagMonitor
    from api.ports import AlertReads, Publisher
    from api.queries import Queries
    from api.status_reader import StatusReader
    from consumers.alerts.delivery import Deliverer
    from consumers.alerts.directory import CoordinatorDirectory
    from consumers.alerts.router import AlertRouter
    from consumers.alerts.store import AlertStore
    from consumers.ingest.consumer import IngestConsumer
    from domain.application import EngagementApp
    from domain.vault import PersonalDataVault
    from infra.relay import Relay
    from projections.readmodel.store import ReadModel


class Overrides(TypedDict, total=False):
    """Parts a caller may supply instead of having them built (tests, benchmarks)."""

    app: EngagementApp
    vault: PersonalDataVault
    token_store: TokenStore
    attendance_publisher: Publisher
    api_queries: Queries
    relay_topic: str
    alert_clock: Callable[[], datetime]
    alert_sleeper: Callable[[float], None]
    alert_store: AlertStore
    alert_directory: CoordinatorDirectory
    status_reader: StatusReader


class Parts:
    """The lazily-built parts of one peerpulse process (see :func:`build`)."""

    def __init__(self, settings: Settings, overrides: Overrides) -> None:
        self.settings = settings
        self._given = overrides

    # -- event store -------------------------------------------------------------------
    @cached_property
    def eventstore_env(self) -> dict[str, str]:
        """The event store's eventsourcing env, once the store is known to be reachable and
        its tables are at head (``events`` migrations, once per process: decision 0018)."""
        from infra.eventstore import eventstore_env
        from infra.migrations.catalogue import EVENTS_STORE
        from infra.migrations.runner import ensure_at_head
        from infra.sql import check_reachable

        check_reachable(self.settings)
        ensure_at_head(self.settings, EVENTS_STORE)
        return eventstore_env(self.settings)

    @cached_property
    def vault(self) -> PersonalDataVault:
        """The personal-data key store (kept apart from the event tables)."""
        if "vault" in self._given:
            return self._given["vault"]
        from infra.vault import build_vault

        return build_vault(self.settings)

    @cached_property
    def app(self) -> EngagementApp:
        """The EngagementApp on the configured event store, sealing with :attr:`vault`."""
        if "app" in self._given:
            return self._given["app"]
        from peerpulse.wiring.store import engagement_app

        return engagement_app(self.settings, self.eventstore_env, self.vault)

    # -- relay and ingest ----------------------------------------------------------------
    @cached_property
    def relay_topic(self) -> str:
        """Where the relay publishes (``peerpulse.events.v1``; tests override it)."""
        from infra.topics import EVENTS

        return self._given.get("relay_topic", EVENTS.name)

    @cached_property
    def relay(self) -> Relay:
        """The outbox relay from the store's notification log to :attr:`relay_topic`."""
        from peerpulse.wiring.store import relay

        return relay(self.settings, self.eventstore_env, self.relay_topic)

    def ingest_consumer(self, topic: str, dlq_topic: str, group_id: str,
                        max_records: int = 5000) -> IngestConsumer:  # fmt: skip
        """A new ingest consumer of ``topic`` applying to :attr:`app`."""
        from peerpulse.wiring.ingest import ingest_consumer

        return ingest_consumer(self.settings, self.app, topic, dlq_topic, group_id, max_records)

    def ingest_positions(self, topic: str, partitions: list[int]) -> dict[int, int]:
        """Ingest's next offset per partition of ``topic``, from its tracking records."""
        from consumers.ingest.positions import next_offsets

        return next_offsets(self.app, topic, partitions)

    def open_read_model(self, bulk: bool = False) -> ReadModel:
        """The projections' read model, opened (the caller closes it)."""
        from projections.readmodel.store import ReadModel

        return ReadModel(self.settings).open(bulk=bulk)

    # -- API -----------------------------------------------------------------------------
    @cached_property
    def token_store(self) -> TokenStore:
        """API tokens (hashed) in the configured SQL backend."""
        if "token_store" in self._given:
            return self._given["token_store"]
        from api.auth.store import TokenStore

        return TokenStore(self.settings)

    @cached_property
    def attendance_publisher(self) -> Publisher:
        """Produces HTTP-posted attendance to the attendance topic (connects on first use)."""
        if "attendance_publisher" in self._given:
            return self._given["attendance_publisher"]
        from api.ingest import AttendancePublisher

        return AttendancePublisher(self.settings.kafka_bootstrap)

    @cached_property
    def alert_reads(self) -> AlertReads:
        """The API's alert port over :attr:`alert_store` (opened on the first question)."""
        from consumers.alerts.reads import StoreAlertReads

        return StoreAlertReads(lambda: self.alert_store, self.settings.link_secret)

    @cached_property
    def api_queries(self) -> Queries:
        """The API's read side: read model, alerts and member profiles behind one facade."""
        if "api_queries" in self._given:
            return self._given["api_queries"]
        from api.queries import Queries
        from api.readmodel import ReadModelReader

        return Queries(ReadModelReader(self.settings), self.alert_reads, self.app)

    def lag_monitor(self, interval: float = 15.0,
                    topics: dict[str, str] | None = None) -> LagMonitor:  # fmt: skip
        """Measures every consumer's lag for ``/metrics`` (call ``start()`` to run it)."""
        from api.lag import LagMonitor

        reader = self.api_queries.reader
        return LagMonitor(self.settings, reader, self.ingest_positions, interval, topics)

    @cached_property
    def status_reader(self) -> StatusReader:
        """Every role's lock holder, partitions and lag (``peerpulse status``, ``/v1/status``)."""
        if "status_reader" in self._given:
            return self._given["status_reader"]
        from peerpulse.pipeline import status_reader

        return status_reader(self)

    # -- alert router (consumers/alerts) -------------------------------------------------
    @cached_property
    def alert_clock(self) -> Callable[[], datetime]:
        """The wall clock as a callable; tests override it with a fake."""
        return self._given.get("alert_clock", lambda: datetime.now(UTC))

    @cached_property
    def alert_sleeper(self) -> Callable[[float], None]:
        """Pauses between delivery retries; tests override it."""
        import time

        return self._given.get("alert_sleeper", time.sleep)

    @cached_property
    def alert_store(self) -> AlertStore:
        """The durable alert lifecycle and outbox (SQLite under data_dir, or PostgreSQL)."""
        if "alert_store" in self._given:
            return self._given["alert_store"]
        from consumers.alerts.sql import Database
        from consumers.alerts.store import AlertStore

        return AlertStore(Database(self.settings), clock=self.alert_clock)

    @cached_property
    def alert_directory(self) -> CoordinatorDirectory:
        """Coordinators and display names, read from the engagement app."""
        if "alert_directory" in self._given:
            return self._given["alert_directory"]
        from consumers.alerts.directory import AppDirectory

        return AppDirectory(self.app)

    @cached_property
    def alert_deliverer(self) -> Deliverer:
        """The outbox loop with every channel wired from settings."""
        from peerpulse.wiring.alerts import deliverer

        return deliverer(self.settings, self.alert_store, self.alert_directory,
                         self.alert_clock, self.alert_sleeper)  # fmt: skip

    def alert_router(self, topic: str | None = None) -> AlertRouter:
        """A router with its own Kafka consumer (call once per consuming thread)."""
        from peerpulse.wiring.alerts import router

        return router(self.settings, self.alert_store, self.alert_directory, self.alert_clock,
                      topic)  # fmt: skip

    def close(self) -> None:
        """Release connections held by whatever was built here (not what was given)."""
        for name in ("app", "vault", "status_reader"):
            part = self.__dict__.get(name)
            close = getattr(part, "close", None)
            if part is not None and name not in self._given and close is not None:
                close()


def build(settings: Settings | None = None, **overrides: Unpack[Overrides]) -> Parts:
    """The parts of one process, built from ``settings`` (default: the environment's)."""
    return Parts(settings or Settings(), overrides)

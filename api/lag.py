"""Consumer lag, measured from each consumer's own durable position, for ``/metrics``.

peerpulse's consumers keep their positions where their effects are (ingest: tracking
records in the event store; projections: the read model's checkpoint table; alerts: the
Kafka consumer group), so no Kafka-level exporter sees all of them. The API process
measures them every ``interval`` seconds into
``peerpulse_consumer_lag_messages{consumer, partition}`` (records on the topic not yet
applied), from the same figures as ``peerpulse status`` (:mod:`api.status_reader`).
Started by ``peerpulse api``, not by the app factory; ingest's positions come through the
:data:`~api.ports.IngestPositions` port.
"""

from __future__ import annotations

import logging
import threading

from api.ports import IngestPositions
from api.readmodel import ReadModelReader
from api.status_reader import ConsumerPositions, StatusReader
from infra.metrics import CONSUMER_LAG
from infra.settings import Settings

log = logging.getLogger(__name__)


class LagMonitor:
    """Measures ingest, projections and alerts lag against the topics' end offsets."""

    def __init__(self, settings: Settings, reader: ReadModelReader,
                 ingest_positions: IngestPositions, interval: float = 15.0,
                 topics: dict[str, str] | None = None) -> None:  # fmt: skip
        self.settings, self.interval = settings, interval
        positions = ConsumerPositions(settings, reader, ingest_positions)
        self.status = StatusReader(settings, positions, topics=topics)
        self._consumers = {r.name: r.consumer for r in self.status.roles if r.consumer}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def measure(self) -> dict[str, int]:
        """``{consumer: lag}`` for every consumer whose position could be read; each
        partition's lag goes to the gauge."""
        status = self.status.read(self._consumers, holders=False, seconds=False)
        lags = {}
        for role in status.roles:
            name = self._consumers[role.role]
            if role.error is not None:  # one unreadable position must not hide the others
                log.warning("cannot measure %s lag: %s", name, role.error)
                continue
            for p in role.partitions:
                CONSUMER_LAG.labels(consumer=name, partition=str(p.partition)).set(p.lag_events)
            lags[name] = role.lag_events
        return lags

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.measure()
            except Exception as exc:  # broker down: try again next interval
                log.warning("consumer lag not measured: %s", exc)
            self._stop.wait(self.interval)

    def start(self) -> LagMonitor:
        """Measure in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._run, name="lag-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop measuring."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)

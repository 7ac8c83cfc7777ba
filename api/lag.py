"""Consumer lag, measured from each consumer's own durable position, for ``/metrics``.

peerpulse's consumers keep their positions where their effects are (ingest: tracking
records in the event store; projections: the read model's checkpoint table; alerts: the
Kafka consumer group), so no Kafka-level exporter sees all of them. The API process
measures them every ``interval`` seconds into ``peerpulse_consumer_lag_messages{consumer}``
(records on the topic not yet applied). Started by ``peerpulse api``, not by the app factory;
ingest's positions come through the :data:`~api.ports.IngestPositions` port.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.ports import IngestPositions
from api.readmodel import ReadModelReader
from infra.metrics import CONSUMER_LAG
from infra.settings import Settings
from infra.topics import ALERTS, ATTENDANCE, EVENTS
from projections.readmodel import tables as T

log = logging.getLogger(__name__)
Positions = dict[int, int]  # partition -> next offset to apply


class LagMonitor:
    """Measures ingest, projections and alerts lag against the topics' end offsets."""

    def __init__(self, settings: Settings, reader: ReadModelReader,
                 ingest_positions: IngestPositions, interval: float = 15.0,
                 topics: dict[str, str] | None = None) -> None:  # fmt: skip
        self.settings, self.reader, self.interval = settings, reader, interval
        self._ingest_positions = ingest_positions
        self.topics = {"ingest": ATTENDANCE.name, "projections": EVENTS.name,
                       "alerts": ALERTS.name, **(topics or {})}  # fmt: skip
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ingest_positions(self, partitions: list[int]) -> Positions:
        """Next offsets from the ingest consumer's tracking records."""
        return self._ingest_positions(self.topics["ingest"], partitions)

    def projection_positions(self, partitions: list[int]) -> Positions:
        """Next offsets from the projector's checkpoint table."""
        rows = self.reader.rows(
            f'SELECT "partition", next_offset FROM {T.CHECKPOINT.name} WHERE topic = ?',
            (self.topics["projections"],),
        )
        found = {int(r["partition"]): int(r["next_offset"]) for r in rows}
        return {p: found.get(p, 0) for p in partitions}

    def alert_positions(self, partitions: list[int]) -> Positions:
        """Next offsets committed by the alert router's consumer group."""
        from kafka import TopicPartition

        from infra.kafka import consumer

        group = self.settings.alerts.group_id
        reader = consumer(self.settings.kafka_bootstrap, group)
        try:
            topic = self.topics["alerts"]
            found = {p: reader.committed(TopicPartition(topic, p)) for p in partitions}
        finally:
            reader.close(autocommit=False)
        return {p: offset or 0 for p, offset in found.items()}

    def measure(self) -> dict[str, int]:
        """``{consumer: lag}`` for every consumer whose position could be read."""
        from kafka import TopicPartition

        from infra.kafka import consumer, end_offsets

        readers: dict[str, Callable[[list[int]], Positions]] = {
            "ingest": self.ingest_positions, "projections": self.projection_positions,
            "alerts": self.alert_positions,
        }  # fmt: skip
        probe = consumer(self.settings.kafka_bootstrap, None)
        lags = {}
        try:
            for name, positions in readers.items():
                topic = self.topics[name]
                try:
                    parts = sorted(probe.partitions_for_topic(topic) or ())
                    ends = end_offsets(probe, [TopicPartition(topic, p) for p in parts])
                    at = positions(parts)
                    lags[name] = sum(max(0, ends[TopicPartition(topic, p)] - at[p])
                                     for p in parts)  # fmt: skip
                except Exception as exc:  # one unreadable position must not hide the others
                    log.warning("cannot measure %s lag: %s", name, exc)
        finally:
            probe.close(autocommit=False)
        for name, lag in lags.items():
            CONSUMER_LAG.labels(consumer=name).set(lag)
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

"""How far each stage of the pipeline has got, composed from ``peerpulse status``'s facts.

:func:`status_reader` wires :class:`api.status_reader.StatusReader` to this process's
parts (the event store's notification log, ingest's tracking records, the read model);
``peerpulse status`` and ``GET /v1/status`` show what it reads. :func:`pipeline_status`
is the same reading cut down to what ``peerpulse demo`` and the end-to-end test wait on:
every figure comes from where the stage itself records progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.status import Status
    from api.status_reader import StatusReader
    from peerpulse.build import Parts


class EventStoreLog:
    """The :class:`~api.status_reader.StoredLog` port over the engagement app's recorder."""

    def __init__(self, app: Callable[[], Any]) -> None:
        self._app = app  # called on first use: the store is opened only when asked

    LOOK_BACK = 500
    """Notifications read per step while looking back past internal events."""

    def head(self) -> int:
        """The newest notification id the relay publishes (0 when there is none).

        Internal bookkeeping events (``NOT_PUBLISHED``: the clock's start, the unmatched
        attendance list) go to no topic, so they leave no position a relay watermark could
        reach: a store whose newest events are internal is relayed once the last published
        event before them is (else the demo and ``status`` would wait for ever)."""
        from infra.contract.translate import NOT_PUBLISHED

        recorder = self._app().recorder
        end = recorder.max_notification_id() or 0
        while end > 0:
            start = max(1, end - self.LOOK_BACK + 1)
            found = recorder.select_notifications(start, end - start + 1, stop=end)
            for n in reversed(found):
                if n.topic.rsplit(":", 1)[-1] not in NOT_PUBLISHED:
                    return int(n.id)
            end = start - 1
        return 0

    def recorded_at(self, position: int) -> datetime | None:
        """The recorded event's own timestamp; None when it is gone or cannot be decoded
        (the relay quarantines such an event)."""
        app = self._app()
        found = app.recorder.select_notifications(position, 1)
        if not found:
            return None
        try:
            return getattr(app.mapper.to_domain_event(found[0]), "timestamp", None)
        except Exception:  # noqa: BLE001 - an undecodable event has no age to show
            return None


def status_reader(parts: Parts, topics: dict[str, str] | None = None) -> StatusReader:
    """A status reader over ``parts`` (``topics``: by consumer name, or ``relay``)."""
    from api.readmodel import ReadModelReader
    from api.status_reader import ConsumerPositions, StatusReader

    positions = ConsumerPositions(
        parts.settings, ReadModelReader(parts.settings), parts.ingest_positions
    )
    topics = {"relay": parts.relay_topic, **(topics or {})}
    return StatusReader(parts.settings, positions, EventStoreLog(lambda: parts.app), topics)


@dataclass(frozen=True)
class PipelineStatus:
    """Progress of each stage, in its own units."""

    attendance_available: int  # records on the attendance topic
    attendance_ingested: int  # of those, applied or rejected by ingest
    events_stored: int  # newest notification id in the event store
    events_relayed: int  # newest notification id published (or quarantined) by the relay
    events_available: int  # records on the events topic
    events_projected: int  # of those, applied by the projection worker
    complete: bool = True  # False when a stage could not be read

    @classmethod
    def of(cls, status: Status) -> PipelineStatus:
        """The figures of a :class:`~api.status.Status` of ingest, relay and worker."""
        ingest, relay, worker = (status.role(n) for n in ("ingest", "relay", "worker"))
        return cls(
            attendance_available=sum(p.end for p in ingest.partitions),
            attendance_ingested=sum(min(p.position, p.end) for p in ingest.partitions),
            events_stored=relay.relay.stored if relay.relay else 0,
            events_relayed=relay.relay.relayed if relay.relay else 0,
            events_available=sum(p.end for p in worker.partitions),
            events_projected=sum(min(p.position, p.end) for p in worker.partitions),
            complete=status.complete,
        )

    @property
    def caught_up(self) -> bool:
        """True when every stage was read and has processed everything before it."""
        return (
            self.complete
            and self.attendance_ingested >= self.attendance_available
            and self.events_relayed >= self.events_stored
            and self.events_projected >= self.events_available
        )

    def line(self) -> str:
        """One human-readable progress line."""
        return (
            f"ingested {self.attendance_ingested}/{self.attendance_available} messages · "
            f"relayed {self.events_relayed}/{self.events_stored} events · "
            f"projected {self.events_projected}/{self.events_available}"
        )


def pipeline_status(parts: Parts) -> PipelineStatus:
    """Read ingest's, the relay's and the worker's progress (no locks, no timestamps)."""
    status = parts.status_reader.read(("ingest", "relay", "worker"), holders=False, seconds=False)
    return PipelineStatus.of(status)

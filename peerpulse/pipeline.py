"""How far each stage of the pipeline has got: ingest, relay, projections.

Used by ``peerpulse demo`` (a progress line, and knowing when the screen is ready) and by
the end-to-end test. Every figure is read from where the stage itself records progress:
ingest's tracking records in the event store, the relay's positions on the events topic,
and the projector's checkpoint in the read model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kafka import TopicPartition

from infra.topics import ATTENDANCE, EVENTS

if TYPE_CHECKING:
    from peerpulse.build import Parts
    from projections.readmodel.store import ReadModel


@dataclass(frozen=True)
class PipelineStatus:
    """Progress of each stage, in its own units."""

    attendance_available: int  # records on the attendance topic
    attendance_ingested: int  # of those, applied or rejected by ingest
    events_stored: int  # newest notification id in the event store
    events_relayed: int  # newest notification id published by the relay
    events_available: int  # records on the events topic
    events_projected: int  # of those, applied by the projection worker

    @property
    def caught_up(self) -> bool:
        """True when every stage has processed everything before it."""
        return (
            self.attendance_ingested >= self.attendance_available
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


def _ends(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    from infra.kafka import end_offsets

    tps = [TopicPartition(topic, p) for p in range(partitions)]
    return {tp.partition: end for tp, end in end_offsets(bootstrap, tps).items()}


def pipeline_status(parts: Parts, readmodel: ReadModel) -> PipelineStatus:
    """Read every stage's progress (a few Kafka round trips and two SQL queries)."""
    from infra.relay_positions import watermarks

    settings = parts.settings
    bootstrap, partitions = settings.kafka_bootstrap, settings.topic_partitions
    attendance = _ends(bootstrap, ATTENDANCE.name, partitions)
    ingested = sum(parts.ingest_positions(ATTENDANCE.name, list(attendance)).values())
    events = _ends(bootstrap, EVENTS.name, partitions)
    checkpoint = readmodel.checkpoint(EVENTS.name)
    return PipelineStatus(
        attendance_available=sum(attendance.values()),
        attendance_ingested=ingested,
        events_stored=parts.app.recorder.max_notification_id() or 0,
        events_relayed=max(watermarks(bootstrap, EVENTS.name, partitions).values(), default=0),
        events_available=sum(events.values()),
        events_projected=sum(checkpoint.get(p, 0) for p in events),
    )

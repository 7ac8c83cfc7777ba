"""Outputs as Kafka messages, and the topics the projections read and write.

Health records go to the compacted group-health topic, alert intents to the alerts topic;
both keyed by group id, JSON values. Topic names are injectable (tests use unique ones).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from infra import topics
from projections.engine import Outputs


@dataclass(frozen=True)
class ProjectionTopics:
    """Names of the topics one projection worker uses."""

    events: str = topics.EVENTS.name
    group_health: str = topics.GROUP_HEALTH.name
    alerts: str = topics.ALERTS.name

    def catalogue(self) -> tuple[topics.Topic, ...]:
        """The catalogue entries under these names (for creating them)."""
        from dataclasses import replace

        return (
            replace(topics.EVENTS, name=self.events),
            replace(topics.GROUP_HEALTH, name=self.group_health),
            replace(topics.ALERTS, name=self.alerts),
        )


def encode(value: dict) -> bytes:
    """Compact JSON bytes."""
    return _ENCODER.encode(value).encode()


_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


def messages(out: Outputs, names: ProjectionTopics) -> Iterator[tuple[str, bytes, bytes]]:
    """``(topic, key, value)`` for every health record and alert intent, in order."""
    for h in out.health:
        yield names.group_health, h["group_id"].encode(), encode(h)
    for a in out.alerts:
        yield names.alerts, a["subject"].encode(), encode(a)

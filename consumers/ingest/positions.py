"""Where ingest resumes each partition — also after the broker lost its data (decision 0008).

Positions are eventsourcing tracking records, one per partition, and a tracking record
only ever moves forward. A broker that restarts empty (the embedded Tansu keeps nothing)
starts every partition at offset 0 again, so offsets already recorded could never be
recorded again and the consumer would skip the new records as "already applied".
Tracking names therefore carry the topic's **incarnation**:

- ``kafka:{topic}:{partition}`` for incarnation 1 (the names used before incarnations),
  ``kafka:{topic}#{n}:{partition}`` for incarnation n >= 2;
- ``kafka:{topic}:incarnation`` holds the newest incarnation number;
- ``kafka:{topic}@{topic_id}`` holds the incarnation of the topic with that broker id
  (Kafka and Tansu give every created topic a fresh id).

A new incarnation begins (with a warning; its partitions are read from the beginning)
when the broker reports a topic id that is not yet known while another one is, or when
a stored position is at or beyond the partition's true end offset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from domain.errors import ConcurrentModification

log = logging.getLogger(__name__)
Partition = Any
"""A ``kafka.TopicPartition``: ``.topic`` and ``.partition``."""


def tracking_name(topic: str, partition: int, incarnation: int = 1) -> str:
    """The tracking-record name of one topic-partition in one incarnation of the topic."""
    if incarnation <= 1:
        return f"kafka:{topic}:{partition}"
    return f"kafka:{topic}#{incarnation}:{partition}"


def incarnation_name(topic: str) -> str:
    """The tracking record holding the topic's newest incarnation number."""
    return f"kafka:{topic}:incarnation"


def identity_name(topic: str, topic_id: str) -> str:
    """The tracking record holding the incarnation of the topic with broker id ``topic_id``."""
    return f"kafka:{topic}@{topic_id}"


def current_tracking_name(app: Any, topic: str, partition: int) -> str:
    """The name under which ``partition`` of ``topic`` is tracked now (for lag readers)."""
    return tracking_name(topic, partition, app.max_tracking_position(incarnation_name(topic)) or 1)


def next_offsets(app: Any, topic: str, partitions: Iterable[int]) -> dict[int, int]:
    """``{partition: next offset to apply}`` in the topic's current incarnation (for lag)."""
    out = {}
    for partition in partitions:
        stored = app.max_tracking_position(current_tracking_name(app, topic, partition))
        out[partition] = 0 if stored is None else stored + 1
    return out


class Positions:
    """Resolves each assigned topic's incarnation and each partition's next offset."""

    def __init__(self, app: Any, end_offsets: Callable[[list[Partition]], dict[Partition, int]],
                 topic_id: Callable[[str], str | None]) -> None:  # fmt: skip
        self.app, self.end_offsets, self.topic_id = app, end_offsets, topic_id
        self.incarnations: dict[str, int] = {}

    def name(self, tp: Partition) -> str:
        """The tracking name of ``tp`` in its topic's current incarnation."""
        return tracking_name(tp.topic, tp.partition, self.incarnations.get(tp.topic, 1))

    def stored(self, tp: Partition) -> int | None:
        """The last offset of ``tp`` recorded with its events, or None."""
        return self.app.max_tracking_position(self.name(tp))

    def resume(self, partitions: Iterable[Partition]) -> dict[Partition, int | None]:
        """The next offset to read per partition (None: from the beginning)."""
        by_topic: dict[str, list[Partition]] = {}
        for tp in partitions:
            by_topic.setdefault(tp.topic, []).append(tp)
        out: dict[Partition, int | None] = {}
        for topic, tps in by_topic.items():
            self.incarnations[topic] = self._incarnation(topic)
            stored = {tp: self.stored(tp) for tp in tps}
            known = [tp for tp, position in stored.items() if position is not None]
            ends = self.end_offsets(known) if known else {}
            lost = [tp for tp in known if stored[tp] >= ends[tp]]
            if lost:
                self._lost(topic, {tp.partition: (stored[tp], ends[tp]) for tp in lost})
                stored = dict.fromkeys(tps)
            out.update({tp: None if p is None else p + 1 for tp, p in stored.items()})
        return out

    def _incarnation(self, topic: str) -> int:
        newest = self.app.max_tracking_position(incarnation_name(topic))
        topic_id = self.topic_id(topic)
        if topic_id is None:
            return newest or 1
        mine = self.app.max_tracking_position(identity_name(topic, topic_id))
        if mine is not None:
            return mine
        if newest is None:  # first topic id we learn: the positions so far are its own
            return self._begin(topic, 1)
        log.warning("topic %s was created again (id %s): the broker lost its data; reading "
                    "every partition from the beginning as incarnation %d", topic, topic_id,
                    newest + 1)  # fmt: skip
        return self._begin(topic, newest + 1)

    def _lost(self, topic: str, lost: dict[int, tuple[int, int]]) -> None:
        seen = ", ".join(f"[{p}] position {s} >= end {e}" for p, (s, e) in sorted(lost.items()))
        incarnation = self.incarnations[topic] + 1
        log.warning("broker lost the data of %s (%s): reading every partition from the "
                    "beginning as incarnation %d", topic, seen, incarnation)  # fmt: skip
        self.incarnations[topic] = self._begin(topic, incarnation)

    def _begin(self, topic: str, incarnation: int) -> int:
        """Record ``incarnation`` as the topic's newest (and its current id's)."""
        topic_id = self.topic_id(topic)
        names = [incarnation_name(topic)] + ([identity_name(topic, topic_id)] if topic_id else [])
        for name in names:
            if (self.app.max_tracking_position(name) or 0) < incarnation:
                try:
                    self.app.record_position(name, incarnation)
                except ConcurrentModification:  # another consumer recorded it first
                    log.info("%s was recorded concurrently", name)
        return incarnation

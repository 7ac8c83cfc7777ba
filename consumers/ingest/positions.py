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

A partition's tracking value is a **word**: ``epoch << 40 | offset`` (decision 0024).
Several ingest processes share a topic; whoever is assigned a partition first raises its
epoch with a tracking write of its own, and every batch records the word with that epoch.
The store accepts only a larger word, so a process that lost the partition (paused past
its session, then resumed) fails its commit and its batch is rolled back: nothing stale is
written. Epoch 0 is the raw offset stores before 0024 hold; from epoch 1 the low bits
hold the offset + 1, 0 meaning that the owner has applied nothing yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from eventsourcing.persistence import Tracking

from domain.errors import ConcurrentModification

log = logging.getLogger(__name__)
Partition = Any
"""A ``kafka.TopicPartition``: ``.topic`` and ``.partition``."""

EPOCH_SHIFT = 40
LOW_BITS = (1 << EPOCH_SHIFT) - 1
MAX_CLAIMS = 50


def word(epoch: int, offset: int | None) -> int:
    """The tracking value of ``offset`` (None: nothing applied) written by owner ``epoch``.

    From epoch 1 on the low bits hold ``offset + 1`` (0: nothing applied), so a word grows
    with the epoch first and the offset second; epoch 0 is a raw offset (stores before 0024).
    """
    if offset is not None and not 0 <= offset < LOW_BITS - 1:
        raise ValueError(f"offset {offset} out of range")
    if epoch == 0:
        if offset is None:
            raise ValueError("epoch 0 records an offset")
        return offset
    return epoch << EPOCH_SHIFT | (0 if offset is None else offset + 1)


def split(value: int | None) -> tuple[int, int | None]:
    """``(epoch, last applied offset or None)`` of a stored tracking value."""
    if value is None:
        return 0, None
    epoch, low = value >> EPOCH_SHIFT, value & LOW_BITS
    if epoch == 0:
        return 0, value
    return epoch, None if low == 0 else low - 1


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
        stored = stored_offset(app, topic, partition)
        out[partition] = 0 if stored is None else stored + 1
    return out


def stored_offset(app: Any, topic: str, partition: int) -> int | None:
    """The last offset of ``partition`` applied in the topic's current incarnation."""
    return split(app.max_tracking_position(current_tracking_name(app, topic, partition)))[1]


class Positions:
    """Resolves each assigned topic's incarnation and each partition's next offset."""

    def __init__(self, app: Any, end_offsets: Callable[[list[Partition]], dict[Partition, int]],
                 topic_id: Callable[[str], str | None]) -> None:  # fmt: skip
        self.app, self.end_offsets, self.topic_id = app, end_offsets, topic_id
        self.incarnations: dict[str, int] = {}
        self.epochs: dict[Partition, int] = {}
        """The epoch this process claimed for each partition it was assigned."""

    def name(self, tp: Partition) -> str:
        """The tracking name of ``tp`` in its topic's current incarnation."""
        return tracking_name(tp.topic, tp.partition, self.incarnations.get(tp.topic, 1))

    def stored(self, tp: Partition) -> int | None:
        """The last offset of ``tp`` recorded with its events, or None."""
        return split(self.app.max_tracking_position(self.name(tp)))[1]

    def tracking(self, tp: Partition, offset: int) -> Tracking:
        """The tracking record of a batch of ``tp`` through ``offset``, under our epoch."""
        return Tracking(self.name(tp), word(self.epochs.get(tp, 0), offset))

    def taken_over(self, tp: Partition) -> bool:
        """True when another process claimed ``tp`` after us (our epoch is not the newest)."""
        newest = split(self.app.max_tracking_position(self.name(tp)))[0]
        return newest != self.epochs.get(tp, 0)

    def claim(self, tp: Partition) -> int | None:
        """Become the partition's owner (raise its epoch); returns its last applied offset."""
        name = self.name(tp)
        for _ in range(MAX_CLAIMS):
            epoch, offset = split(self.app.max_tracking_position(name))
            try:
                self.app.record_position(name, word(epoch + 1, offset))
            except ConcurrentModification:  # another process claimed or applied meanwhile
                continue
            self.epochs[tp] = epoch + 1
            return offset
        raise RuntimeError(f"{name}: could not claim the partition in {MAX_CLAIMS} attempts")

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
            claimed = {tp: self.claim(tp) for tp in tps}  # (in the new incarnation if lost)
            out.update({tp: None if p is None else p + 1 for tp, p in claimed.items()})
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

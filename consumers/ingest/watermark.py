"""The ingest consumer's event-time watermark: how far time may tick (decision 0012).

Partitions are consumed chunk by chunk, so one partition's history can be applied up to
"now" while another's is still weeks behind. Ticking with the newest event time would
tell the projections that time has passed for groups whose history has not arrived yet.
The watermark is therefore the *oldest* progress among partitions that still have
unread records; partitions that are caught up do not hold it back, and when every
partition is caught up it is the newest event time seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

Partition = Any
"""A ``kafka.TopicPartition`` (anything hashable works)."""


@dataclass(frozen=True)
class Watermark:
    """Per assigned partition: the newest event time applied and the next offset to apply.

    Immutable: :meth:`advanced` returns the state after one batch, which the consumer
    adopts only once that batch has committed.
    """

    assigned: frozenset[Partition] = frozenset()
    times: dict[Partition, datetime] = field(default_factory=dict)
    next_offsets: dict[Partition, int] = field(default_factory=dict)
    seen: datetime | None = None

    def assign(self, partitions: Iterable[Partition]) -> Watermark:
        """Partitions were assigned; what we knew about them before no longer counts."""
        tps = set(partitions)
        return replace(
            self,
            assigned=self.assigned | tps,
            times={k: v for k, v in self.times.items() if k not in tps},
            next_offsets={k: v for k, v in self.next_offsets.items() if k not in tps},
        )

    def revoke(self, partitions: Iterable[Partition]) -> Watermark:
        """Partitions were taken away: they no longer hold the watermark back."""
        return replace(self, assigned=self.assigned - set(partitions))

    def reading(self, tp: Partition, next_offset: int) -> Watermark:
        """Records of ``tp`` from ``next_offset`` on are in hand but not applied yet."""
        return replace(self, next_offsets={**self.next_offsets, tp: next_offset})

    def advanced(self, tp: Partition, latest: datetime | None, next_offset: int) -> Watermark:
        """The state after a batch of ``tp`` up to ``next_offset`` (newest time ``latest``)."""
        times = dict(self.times)
        seen = self.seen
        if latest is not None:
            times[tp] = max(latest, times.get(tp, latest))
            seen = max(latest, seen or latest)
        return replace(
            self, times=times, seen=seen, next_offsets={**self.next_offsets, tp: next_offset}
        )

    def lagging(self, highwater: Callable[[Partition], int | None]) -> list[Partition]:
        """Assigned partitions with records not applied yet (unknown counts as lagging)."""
        out = []
        for tp in self.assigned:
            end, at = highwater(tp), self.next_offsets.get(tp)
            if end is None or at is None or at < end:
                out.append(tp)
        return out

    def value(self, highwater: Callable[[Partition], int | None]) -> datetime | None:
        """How far event time has safely advanced, or None when it cannot be told yet.

        ``highwater(tp)`` is the partition's end as the last fetch reported it (the next
        offset a record will get). A lagging partition that has applied nothing yet
        blocks the watermark: its history may start anywhere.
        """
        lagging = self.lagging(highwater)
        if not lagging:
            return self.seen
        times = [self.times.get(tp) for tp in lagging]
        if any(t is None for t in times):
            return None
        return min(t for t in times if t is not None)

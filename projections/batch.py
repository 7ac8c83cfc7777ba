"""A batch of read-model writes, coalesced: the last upsert per row wins, increments add up.

Pure bookkeeping between the projector and the SQL writer; one batch is written in one
transaction together with the checkpoint and the changed projector states.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from projections.rows import RowChange

Key = tuple[str, tuple[Any, ...]]


@dataclass
class Batch:
    """Pending writes for one transaction."""

    upserts: dict[Key, dict[str, Any]] = field(default_factory=dict)
    incrs: dict[Key, dict[str, int]] = field(default_factory=dict)
    checkpoint: dict[tuple[str, int], int] = field(default_factory=dict)
    states: dict[tuple[str, str], bytes] = field(default_factory=dict)
    events: int = 0

    def add(self, changes: Iterable[RowChange]) -> None:
        """Fold row changes into the batch."""
        for c in changes:
            k = (c.table, c.key)
            if c.op == "incr":
                acc = self.incrs.setdefault(k, {})
                for col, delta in c.values.items():
                    acc[col] = acc.get(col, 0) + delta
            else:
                row = self.upserts.get(k)
                if row is None:
                    self.upserts[k] = dict(c.values)
                else:
                    row.update(c.values)

    def position(self, topic: str, partition: int, offset: int) -> None:
        """Record that everything up to ``offset`` of the partition is in this batch."""
        self.checkpoint[(topic, partition)] = offset + 1

    def __bool__(self) -> bool:
        return bool(self.upserts or self.incrs or self.checkpoint or self.states)

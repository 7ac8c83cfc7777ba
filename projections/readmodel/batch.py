"""Read-model row changes and a batch of them, coalesced: the last upsert per row wins,
increments add up.

A :class:`RowChange` is either an ``upsert`` (set these columns of the row with this key)
or an ``incr`` (add these deltas to counters); :mod:`projections.outputs` builds them.

Pure bookkeeping between the projector and the SQL writer; one batch is written in one
transaction together with the checkpoint and the changed projector states. ``rebuild``
also moves rows between batches (:meth:`Batch.take`, :meth:`Batch.merge`) to hold the
per-entity tables until the end, so each such row is written once rather than per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RowChange:
    """One change to one read-model row."""

    table: str
    key: tuple[Any, ...]
    values: dict[str, Any] = field(default_factory=dict)
    op: str = "upsert"


Key = tuple[str, tuple[Any, ...]]


@dataclass
class Batch:
    """Pending writes for one transaction."""

    upserts: dict[Key, dict[str, Any]] = field(default_factory=dict)
    incrs: dict[Key, dict[str, int]] = field(default_factory=dict)
    checkpoint: dict[tuple[str, int], int] = field(default_factory=dict)
    states: dict[tuple[str, str], bytes] = field(default_factory=dict)
    state_partitions: dict[tuple[str, str], int] = field(default_factory=dict)
    """The events-topic partition of each state in ``states`` (restore by partition)."""
    drop: set[tuple[str, str]] = field(default_factory=set)
    """Projector-state rows ``(kind, id)`` to delete (e.g. the unfinished-rebuild marker)."""
    events: int = 0

    def add(self, changes: Iterable[RowChange]) -> None:
        """Fold row changes into the batch."""
        upserts, incrs = self.upserts, self.incrs
        for c in changes:
            k = (c.table, c.key)
            if c.op == "incr":
                acc = incrs.get(k)
                if acc is None:
                    incrs[k] = dict(c.values)
                    continue
                for col, delta in c.values.items():
                    acc[col] = acc.get(col, 0) + delta
            else:
                row = upserts.get(k)
                if row is None:
                    upserts[k] = dict(c.values)
                else:
                    row.update(c.values)

    def merge(self, later: Batch) -> None:
        """Fold a later batch into this one, with the same coalescing as :meth:`add`
        (``later``'s row dicts may be taken over: do not use it afterwards)."""
        upserts, incrs = self.upserts, self.incrs
        for k, values in later.upserts.items():
            row = upserts.get(k)
            if row is None:
                upserts[k] = values
            else:
                row.update(values)
        for k, deltas in later.incrs.items():
            acc = incrs.get(k)
            if acc is None:
                incrs[k] = deltas
                continue
            for col, delta in deltas.items():
                acc[col] = acc.get(col, 0) + delta
        self.checkpoint.update(later.checkpoint)
        self.states.update(later.states)
        self.state_partitions.update(later.state_partitions)
        self.drop |= later.drop
        self.events += later.events

    def take(self, tables: frozenset[str]) -> Batch:
        """Move the rows of ``tables`` out of this batch into a new one (nothing else)."""
        out = Batch()
        for mine, theirs in ((self.upserts, out.upserts), (self.incrs, out.incrs)):
            for k in [k for k in mine if k[0] in tables]:
                theirs[k] = mine.pop(k)
        return out

    def position(self, topic: str, partition: int, offset: int) -> None:
        """Record that everything up to ``offset`` of the partition is in this batch."""
        self.checkpoint[(topic, partition)] = offset + 1

    def __bool__(self) -> bool:
        return bool(self.upserts or self.incrs or self.checkpoint or self.states or self.drop)

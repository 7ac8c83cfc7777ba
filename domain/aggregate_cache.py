"""A trusted cache of committed aggregates for a process that is their only writer.

eventsourcing's own cache asks the store for newer events on every load (one query per
aggregate per batch: about 1 ms on PostgreSQL, the largest cost of ingest). A consumer
that is the only writer of the groups it owns can skip that: it already holds every
change it made. Entries are the committed state only — put after a successful commit
or right after a load from the store — and handed out as copies, so a failed batch never
leaves a trace. Whoever enables it must clear it when ownership may have changed (a
rebalance) and after any conflict (decision 0001).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from contextlib import suppress
from typing import Any
from uuid import UUID

from eventsourcing.application import LRUCache


class TrustedCache:
    """Committed aggregates by id (bounded, least recently used first out)."""

    def __init__(self, maxsize: int, kinds: tuple[type, ...]) -> None:
        self.maxsize, self.kinds = maxsize, kinds
        self._entries: LRUCache[UUID, Any] = LRUCache(maxsize=maxsize)
        self._ids: dict[type, set[UUID]] = {}

    def get(self, aggregate_id: UUID) -> Any | None:
        """A private copy of the cached aggregate, or None."""
        try:
            return copy.deepcopy(self._entries.get(aggregate_id))
        except KeyError:
            return None

    def put(self, aggregates: Iterable[Any]) -> None:
        """Remember committed aggregates of the trusted kinds (the caller stops changing them)."""
        for aggregate in aggregates:
            if isinstance(aggregate, self.kinds) and not aggregate.pending_events:
                self._entries.put(aggregate.id, aggregate)
                for kind in self.kinds:
                    if isinstance(aggregate, kind):
                        self._ids.setdefault(kind, set()).add(aggregate.id)

    def clear(self) -> None:
        """Forget everything (ownership may have changed, or a write conflicted)."""
        self._entries = LRUCache(maxsize=self.maxsize)
        self._ids = {}

    def forget(self, kinds: tuple[type, ...]) -> None:
        """Forget the aggregates of ``kinds`` (others may have written them meanwhile)."""
        for kind in kinds:
            for aggregate_id in self._ids.pop(kind, set()):
                with suppress(KeyError):  # evicted already
                    self._entries.get(aggregate_id, evict=True)

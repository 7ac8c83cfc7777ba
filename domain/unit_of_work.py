"""The unit of work: aggregates loaded once, changed by many commands, saved in one transaction.

Every :class:`~domain.application.EngagementApp` command runs inside one. Outside
``app.batch()`` each command gets its own; inside, all commands share the batch's
and nothing is written until the block ends, when every new event and the optional
tracking record (a consumer's position) are recorded atomically.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking

from domain.errors import ConcurrentModification, DomainError
from domain.es_adapter import after_recording, record

if TYPE_CHECKING:
    from eventsourcing.application import Application

A = TypeVar("A", bound=Aggregate)


class UnitOfWork:
    """Caches the aggregates a set of commands touches and commits their events together."""

    def __init__(self, app: Application[Any], tracking: Tracking | None = None) -> None:
        self.app = app
        self.tracking = tracking
        self.aggregates: dict[UUID, Aggregate] = {}

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate of that kind with that id, or ``None`` if it does not exist."""
        aggregate = self.aggregates.get(aggregate_id)
        if aggregate is None:
            trusted = getattr(self.app, "trusted", None)
            aggregate = trusted.get(aggregate_id) if trusted is not None else None
            if aggregate is None:
                try:
                    aggregate = self.app.repository.get(aggregate_id)
                except AggregateNotFoundError:
                    return None
                if trusted is not None:
                    trusted.put([copy.deepcopy(aggregate)])
            self.aggregates[aggregate_id] = aggregate
        return aggregate if isinstance(aggregate, kind) else None

    def get(self, aggregate_id: UUID, kind: type[A], missing: Callable[[UUID], DomainError]) -> A:
        """The aggregate, or the domain error ``missing`` builds when there is none."""
        aggregate = self.find(aggregate_id, kind)
        if aggregate is None:
            raise missing(aggregate_id)
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        """Take a newly created aggregate into the unit."""
        self.aggregates[aggregate.id] = aggregate

    def commit(self) -> int:
        """Record all pending events (and the tracking record) in one transaction.

        Returns how many events were recorded. An optimistic-concurrency conflict
        (another writer got there first) raises :class:`ConcurrentModification`.
        """
        changed = [a for a in self.aggregates.values() if a.pending_events]
        if not changed and self.tracking is None:
            return 0
        processing = ProcessingEvent(self.tracking)
        for aggregate in changed:  # what collect_events() does, minus slow Protocol checks
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        try:
            recordings = record(self.app, processing)
        except IntegrityError as exc:
            self.aggregates.clear()
            if getattr(self.app, "trusted", None) is not None:
                self.app.trusted.clear()
            raise ConcurrentModification(
                f"another writer changed {', '.join(str(a.id) for a in changed) or 'nothing'}"
                f" or recorded position {self.tracking} first; run the command again"
            ) from exc
        if getattr(self.app, "trusted", None) is not None:
            self.app.trusted.put(processing.aggregates.values())
        after_recording(self.app, processing, recordings)
        return len(processing.events)

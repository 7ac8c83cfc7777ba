"""The one place peerpulse uses eventsourcing's private ``Application`` API (9.5.x).

``Application.save()`` collects events with slow per-event Protocol checks, re-reads each
aggregate from the store to snapshot it, and writes one snapshot per transaction. The
unit of work (decision 0001) instead hands over a ready ``ProcessingEvent`` (the batch's
events plus the consumer's tracking record) and snapshots from memory. That needs the
three private steps of ``save()`` — ``_record``, ``_take_snapshots``, ``_notify`` — and an
override of the ``_take_snapshots`` hook. Nothing else in peerpulse names them, and
``tests/unit/domain/test_es_adapter.py`` fails when an eventsourcing release changes their
signatures or behaviour, so an upgrade is a deliberate act.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import Recording

PRIVATE_STEPS = ("_record", "_take_snapshots", "_notify")
"""The private ``Application`` methods, in the order ``save()`` calls them."""


def record(app: Application[UUID], processing: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
    """Record ``processing``'s events and tracking record in one transaction (``_record``).

    A conflict raises eventsourcing's ``IntegrityError`` and nothing is written.
    """
    return app._record(processing)


def after_recording(
    app: Application[UUID], processing: ProcessingEvent[UUID], recordings: list[Recording[UUID]]
) -> None:
    """What ``save()`` does once recorded: take due snapshots, then ``_notify`` the application."""
    app._take_snapshots(processing)
    app._notify(recordings)


class SnapshotsFromMemory(Application[UUID]):
    """Snapshots aggregates from the state in hand instead of re-reading the store."""

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot aggregates that crossed a multiple of their interval, from memory.

        The library re-reads the aggregate from the store and writes one snapshot per
        transaction; the aggregate just recorded is already at hand, so this snapshots
        it at its current version and writes all snapshots of a batch together.
        """
        if self.snapshots is None:
            return
        due: dict[UUID, Any] = {}
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval and event.originator_version % interval == 0:
                due[aggregate.id] = aggregate
        if due:
            self.snapshots.put([type(a).Snapshot.take(a) for a in due.values()])

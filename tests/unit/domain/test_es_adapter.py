"""Pins the private eventsourcing API behind :mod:`domain.es_adapter` (eventsourcing 9.5.x).

These fail when an eventsourcing release renames, reshapes or stops calling the private
``Application`` steps the unit of work relies on, so an upgrade is a deliberate act.
"""

from __future__ import annotations

import inspect
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Recording, Tracking

from domain.application import EngagementApp
from domain.es_adapter import PRIVATE_STEPS, after_recording, record
from domain.group import Group
from domain.program import Program
from tests.unit.domain.conftest import T0, FakeVault, day


class SpyApp(EngagementApp):
    """Notes every private step the library or the adapter calls, and what was notified."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=FakeVault(),
                         **kwargs)  # fmt: skip
        self.steps: list[str] = []
        self.notified: list[Recording[Any]] = []

    def _record(self, processing_event: ProcessingEvent[Any]) -> list[Recording[Any]]:
        self.steps.append("_record")
        return super()._record(processing_event)

    def _take_snapshots(self, processing_event: ProcessingEvent[Any]) -> None:
        self.steps.append("_take_snapshots")
        super()._take_snapshots(processing_event)

    def _notify(self, recordings: list[Recording[Any]]) -> None:
        self.steps.append("_notify")
        self.notified.extend(recordings)


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_private_steps_keep_their_signatures() -> None:
    assert PRIVATE_STEPS == ("_record", "_take_snapshots", "_notify")
    assert _parameters(Application._record) == ["self", "processing_event"]
    assert _parameters(Application._take_snapshots) == ["self", "processing_event"]
    assert _parameters(Application._notify) == ["self", "recordings"]
    assert _parameters(ProcessingEvent.__init__) == ["self", "tracking"]


def test_save_still_runs_the_private_steps_in_that_order() -> None:
    """Our ``_take_snapshots`` override is the hook the library itself calls."""
    app = SpyApp()
    app.save(Program.launch(uuid4(), "P", "O", "weekly", T0))
    assert app.steps == list(PRIVATE_STEPS)


def _new_group_events() -> tuple[ProcessingEvent[Any], Group]:
    program_id = uuid4()
    group = Group.form(uuid4(), program_id, "Circle", "weekly", "ship", T0)
    for _ in range(3):
        group.join(uuid4(), "peer", day(1))
    processing: ProcessingEvent[Any] = ProcessingEvent(Tracking("kafka:t:0", 41))
    processing.events.extend(group.collect_events())
    processing.aggregates[group.id] = group
    return processing, group


def test_a_batch_is_recorded_with_its_position_snapshotted_from_memory_and_notified() -> None:
    app = SpyApp(snapshot_interval=2)
    processing, group = _new_group_events()
    recordings = record(app, processing)
    assert [r.domain_event for r in recordings] == processing.events
    assert [r.notification.originator_version for r in recordings] == [1, 2, 3, 4]
    assert app.max_tracking_position("kafka:t:0") == 41
    assert app.repository.get(group.id).members == group.members
    assert list(app.snapshots.get(group.id)) == []

    after_recording(app, processing, recordings)
    assert [s.originator_version for s in app.snapshots.get(group.id)] == [4]
    assert app.steps == list(PRIVATE_STEPS)
    assert app.notified == recordings


def test_a_stale_position_records_nothing() -> None:
    app = SpyApp()
    first, _ = _new_group_events()
    record(app, first)
    again, group = _new_group_events()
    with pytest.raises(IntegrityError):
        record(app, again)  # the same tracking position again
    assert list(app.events.get(group.id)) == []

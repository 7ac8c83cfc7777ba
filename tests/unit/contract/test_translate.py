"""Stored domain events -> wire records, on a real (in-memory) EngagementApp history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.application import EngagementApp
from infra.contract import BY_TYPE, decode, encode, envelope
from infra.contract.translate import (
    CLOCK_KEY,
    EVERY_PARTITION,
    NotInContract,
    is_published,
    to_wire,
)
from infra.vault import MemoryVault
from tests.integration.relay_kit import record_history


@pytest.fixture(scope="module")
def history():
    """(notification, domain event) for a history covering every public type."""
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=MemoryVault())
    last = record_history(app, 1200)
    pairs = [(n, app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, last)]
    programs = {e.originator_id: e.program_id for _, e in pairs if hasattr(e, "program_id")}
    return pairs, programs.__getitem__


def test_every_stored_event_becomes_a_valid_record_of_its_type(history):
    pairs, program_of = history
    types = set()
    for n, event in pairs:
        if not is_published(event):
            continue
        record = to_wire(event, n.id, program_of=program_of)
        message, headers = decode(record.value), dict(record.headers)
        types.add(message.type)
        assert message.id == f"{event.originator_id}:{event.originator_version}"
        assert message.time == event.timestamp and message.time.tzinfo == UTC
        assert headers["pp-position"] == str(n.id).encode()
        assert headers["pp-type"] == message.type.encode()
        assert record.value == encode(
            envelope(message.data, id=message.id, subject=message.subject, time=message.time)
        )
        if message.type == "peerpulse.clock.ticked.v1":
            assert (record.key, record.partition) == (CLOCK_KEY, EVERY_PARTITION)
        else:
            assert (record.key, record.partition) == (str(event.originator_id).encode(), None)
    assert types == set(BY_TYPE)


def test_group_events_name_their_program_and_personal_data_stays_behind(history):
    pairs, program_of = history
    for n, event in pairs:
        if type(event).__qualname__.startswith("Group."):
            data = decode(to_wire(event, n.id, program_of=program_of).value).data
            assert data.program_id == program_of(event.originator_id)
        if type(event).__qualname__ in ("Member.Registered", "Program.CoordinatorAssigned"):
            raw = to_wire(event, n.id).value.decode()
            assert "sealed" not in raw and "@example.org" not in raw
            assert "sealed_name" not in json.loads(raw)["data"]


def test_an_event_class_outside_the_catalogue_is_refused():
    @dataclass
    class Renamed:
        originator_id: UUID

    with pytest.raises(NotInContract, match="Renamed"):
        to_wire(Renamed(UUID(int=1)), 1)


def test_text_stored_before_the_text_rule_is_published_normalised():
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=MemoryVault())
    program, group, now = UUID(int=1), UUID(int=2), datetime(2025, 1, 6, tzinfo=UTC)
    app.launch_program(program, "North\x00 Campus", "Acme\r\nLabs", "weekly", now)
    app.form_group(group, program, "Founders\u202e\x00 circle", "weekly", "Ship\ta pilot", now)
    app.cancel_session(group, UUID(int=3), "ill\u0000\r\n", now)
    texts = {}
    for n in app.recorder.select_notifications(1, 10):
        record = to_wire(app.mapper.to_domain_event(n), n.id, program_of=lambda _: program)
        data = decode(record.value).data.model_dump()
        texts.update({f"{n.topic.rsplit('.', 1)[-1]}.{k}": v for k, v in data.items()
                      if k in ("name", "organisation", "goal", "reason")})  # fmt: skip
    assert texts == {
        "Launched.name": "North Campus",
        "Launched.organisation": "Acme Labs",
        "Formed.name": "Founders circle",
        "Formed.goal": "Ship a pilot",
        "SessionCancelled.reason": "ill",
    }

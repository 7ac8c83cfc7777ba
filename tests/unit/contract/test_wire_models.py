"""The wire models: round trips, strictness, and agreement with docs/contract/EVENTS.md."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from infra.contract import BY_DOMAIN, BY_TYPE, decode, encode
from infra.contract.docs import example_of
from tests.unit.contract.events_md import catalogue

PERSONAL = re.compile(r"contact|sealed|display_name|email|phone")


def test_every_catalogued_event_has_a_model_and_no_model_is_uncatalogued():
    pairs = catalogue()
    assert len(pairs) == 32
    assert {t: m.DOMAIN for t, m in BY_TYPE.items()} == pairs


@pytest.mark.parametrize("type_", sorted(BY_TYPE))
def test_every_type_round_trips_through_json(type_):
    raw = example_of(type_)
    event = decode(raw)
    assert event.type == type_ and isinstance(event.data, BY_TYPE[type_])
    assert encode(event) == raw


@pytest.mark.parametrize("type_", sorted(BY_TYPE))
def test_no_personal_data_field_on_the_wire(type_):
    assert not [f for f in BY_TYPE[type_].model_fields if PERSONAL.search(f)]


def test_group_events_carry_their_program():
    group_types = [t for t, m in BY_TYPE.items() if m.DOMAIN.startswith("Group.")]
    assert len(group_types) == 23
    assert all("program_id" in BY_TYPE[t].model_fields for t in group_types)


def _mutated(type_: str, change) -> bytes:
    message = json.loads(example_of(type_))
    change(message)
    return json.dumps(message).encode()


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["data"].update(display_name="Ada Lovelace"),
        lambda m: m.update(extra="x"),
        lambda m: m["data"].update(role="boss"),
        lambda m: m["data"].update(member_id="not-a-uuid"),
        lambda m: m["data"].pop("member_id"),
        lambda m: m.update(type="peerpulse.member.joined.v9"),
        lambda m: m.update(specversion="0.3"),
        lambda m: m.update(time="2025-03-04T17:30:00"),
        lambda m: m["data"].update(role=1),
    ],
    ids=[
        "extra-data",
        "extra-envelope",
        "bad-literal",
        "bad-uuid",
        "missing",
        "unknown-type",
        "specversion",
        "naive-time",
        "wrong-json-type",
    ],
)
def test_decode_rejects_messages_outside_the_contract(change):
    with pytest.raises(ValidationError):
        decode(_mutated("peerpulse.member.joined.v1", change))


def test_domain_index_matches_type_index():
    assert {m.TYPE for m in BY_DOMAIN.values()} == set(BY_TYPE)

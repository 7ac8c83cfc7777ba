"""Alert intents as the projections emit them decode into the router's vocabulary."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from consumers.alerts.intents import BadIntent, decode, encode
from projections.outputs.alert_intents import intent as projection_intent
from tests.unit.alerts.factories import GROUP, MEMBER, NOON_ISH, PROGRAM, health, lapsed


def test_projection_intent_decodes():
    state = SimpleNamespace(group_id=GROUP, program_id=PROGRAM, last_version=12, now=NOON_ISH)
    raw = projection_intent(
        state,
        "member-lapsed",
        MEMBER,
        {
            "alert_key": f"lapse:{GROUP}:{MEMBER}",
            "member_id": MEMBER,
            "misses": 3,
            "last_seen": None,
        },
    )
    got = decode(json.dumps(raw))
    assert (got.kind, got.member_id, got.gravity, got.time) == (
        "member-lapsed",
        MEMBER,
        3,
        NOON_ISH,
    )
    assert got.id == f"{GROUP}:member-lapsed:{MEMBER}:12"


@pytest.mark.parametrize("intent", [lapsed(), health("group-dormant", "dormant", "at_risk")])
def test_encode_decode_round_trip(intent):
    got = decode(encode(intent))
    assert replace(got, data={}) == replace(intent, data={})
    assert intent.data.items() <= got.data.items()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json", "not-json"),
        (b'{"data": 1}', "not-cloudevent"),
        (b'{"id": "x", "type": "peerpulse.alert.party.v1", "data": {}}', "unknown-type"),
        (
            b'{"id": "x", "type": "peerpulse.alert.member-lapsed.v1", "data": {"alert_key": "k"}}',
            "missing-field",
        ),
    ],
)
def test_bad_intents_are_rejected_with_a_bounded_code(raw, code):
    with pytest.raises(BadIntent) as exc:
        decode(raw)
    assert exc.value.code == code

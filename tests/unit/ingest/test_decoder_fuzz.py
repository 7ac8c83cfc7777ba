"""Invariant: whatever arrives on the topic, decode answers a Command or a Rejection."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.contract.inbound.decoder import CODES, Command, Rejection, decode
from infra.contract.inbound.messages import BY_TYPE

NOW = datetime(2025, 2, 1, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)
field_values = (
    st.sampled_from(
        [
            "1.0",
            "2025-01-01T00:00:00Z",
            "x",
            "",
            "present",
            "weekly",
            "peer",
            0,
            -1,
            True,
            None,
            [],
            {},
        ]
    )
    | json_values
)


@st.composite
def near_messages(draw) -> dict:
    """Objects shaped like ingest messages, with random types, fields and values."""
    msg = {
        "specversion": "1.0",
        "id": draw(st.text(max_size=3)),
        "source": draw(st.sampled_from(["a", "", " x"])),
        "type": draw(st.sampled_from([*BY_TYPE, "x.v1", "peerpulse.ingest.group.formed.v9"])),
        "time": draw(st.sampled_from(["2025-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "bad"])),
        "data": draw(st.dictionaries(
            st.sampled_from(["program", "group", "member", "session", "status", "name", "cadence",
                             "present", "absent", "until", "commitment", "attendance_taken", "x"]),
            field_values, max_size=8,
        )),
    }  # fmt: skip
    for key in draw(st.lists(st.sampled_from(list(msg)), max_size=2)):
        msg.pop(key, None)
    return msg


def assert_answers(raw: bytes) -> None:
    result = decode(raw, [], NOW)
    assert isinstance(result, Command | Rejection)
    if isinstance(result, Rejection):
        assert result.code in CODES
        assert result.reason


@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(raw):
    assert_answers(raw)


@given(json_values)
def test_arbitrary_json_never_raises(value):
    assert_answers(json.dumps(value).encode())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(near_messages())
def test_near_miss_messages_never_raise(msg):
    assert_answers(json.dumps(msg).encode())

"""Times at the edge of the calendar: refused at decode with a reason, never a crash.

A sender may write ``0001-01-01T00:00:00+14:00`` (valid ISO 8601, valid pydantic
``AwareDatetime``) whose UTC equivalent lies before year 1; converting it used to raise
``OverflowError`` out of :func:`decode` and stop ingest on every restart.
"""

from __future__ import annotations

import json

import pytest

from infra.contract.inbound.decoder import INVALID_FIELD, PAST_TIME, Command, Rejection, decode
from tests.unit.ingest.conftest import NOW


def group_paused(time: str, until: str) -> bytes:
    return json.dumps({
        "specversion": "1.0", "id": "m1", "source": "lms.example", "time": time,
        "type": "peerpulse.ingest.group.paused.v1",
        "data": {"program": "prog", "group": "g1", "until": until},
    }).encode()  # fmt: skip


@pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_an_event_time_outside_the_utc_calendar_is_an_invalid_field(edge):
    result = decode(group_paused(edge, "2030-02-01T00:00:00Z"), None, NOW)
    assert isinstance(result, Rejection) and result.code == INVALID_FIELD
    assert result.reason.startswith("time:") and "UTC" in result.reason


def test_a_payload_time_outside_the_utc_calendar_is_an_invalid_field():
    result = decode(group_paused("2029-12-01T00:00:00Z", "0001-01-01T00:00:00+01:00"), None, NOW)
    assert isinstance(result, Rejection) and result.reason.startswith("data.until:")


def test_an_event_time_at_year_one_in_utc_is_refused_as_too_old_not_a_crash():
    result = decode(group_paused("0001-01-01T00:00:00Z", "2030-02-01T00:00:00Z"), None, NOW)
    assert isinstance(result, Rejection) and result.code == PAST_TIME


def test_a_payload_time_at_year_one_in_utc_is_still_a_valid_time():
    result = decode(group_paused("2029-12-01T00:00:00Z", "0001-01-01T00:00:00-01:00"), None, NOW)
    assert isinstance(result, Command)

"""The decoder turns each kind of bad input into a named rejection, good input into a command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from infra.contract.inbound import decoder as d
from infra.contract.inbound.decoder import Command, Rejection, decode

NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


def message(**over) -> dict:
    """A valid attendance mark, with fields replaced by ``over`` (None deletes)."""
    msg = {
        "specversion": "1.0",
        "id": "m-1",
        "source": "checkin.example",
        "type": "peerpulse.ingest.attendance.marked.v1",
        "time": "2025-02-01T10:00:00+01:00",
        "data": {"program": "p", "group": "g", "session": "s", "member": "m", "status": "present"},
    }
    for key, value in over.items():
        if value is None:
            msg.pop(key)
        else:
            msg[key] = value
    return msg


def raw(msg: dict) -> bytes:
    return json.dumps(msg).encode()


def rejected(result) -> tuple[str, str]:
    assert isinstance(result, Rejection), result
    return result.code, result.reason


def test_valid_mark_becomes_a_command_with_utc_event_time():
    result = decode(raw(message()), [], NOW)
    assert isinstance(result, Command)
    assert result.type == "peerpulse.ingest.attendance.marked.v1"
    assert result.occurred_at == datetime(2025, 2, 1, 9, 0, tzinfo=UTC)
    assert result.occurred_at.tzinfo is UTC
    assert result.source == "checkin.example"
    assert result.data.status == "present"


@pytest.mark.parametrize(
    ("payload", "code", "in_reason"),
    [
        (b"{not json", d.INVALID_JSON, "not JSON"),
        (b"\xff\xfe{}", d.NOT_UTF8, "byte 0"),
        (b"", d.EMPTY, "no value"),
        (b"[1, 2]", d.INVALID_FIELD, "JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, d.INVALID_JSON, "not JSON"),
        (b" " * (256 * 1024 + 1), d.TOO_LARGE, "limit"),
    ],
)
def test_bytes_that_are_not_a_json_object_are_rejected(payload, code, in_reason):
    got_code, reason = rejected(decode(payload, None, NOW))
    assert got_code == code
    assert in_reason in reason


def test_missing_value_is_rejected_as_empty():
    assert rejected(decode(None, None, NOW))[0] == d.EMPTY


def test_missing_nested_field_names_its_path():
    msg = message()
    del msg["data"]["member"]
    assert rejected(decode(raw(msg), None, NOW)) == (d.MISSING_FIELD, "data.member: Field required")


def test_missing_type_is_a_missing_field():
    assert rejected(decode(raw(message(type=None)), None, NOW))[0] == d.MISSING_FIELD


def test_wrong_type_names_the_field():
    msg = message()
    msg["data"]["status"] = 1
    code, reason = rejected(decode(raw(msg), None, NOW))
    assert code == d.INVALID_FIELD
    assert reason.startswith("data.status:")


def test_strict_models_do_not_coerce_numbers_to_strings():
    msg = message()
    msg["data"]["member"] = 42
    code, reason = rejected(decode(raw(msg), None, NOW))
    assert (code, reason.split(":")[0]) == (d.INVALID_FIELD, "data.member")


def test_time_without_offset_is_rejected():
    code, reason = rejected(decode(raw(message(time="2025-02-01T10:00:00")), None, NOW))
    assert (code, reason.split(":")[0]) == (d.INVALID_FIELD, "time")


def test_unknown_fields_are_rejected():
    code, reason = rejected(decode(raw(message(colour="blue")), None, NOW))
    assert (code, reason.split(":")[0]) == (d.UNEXPECTED_FIELD, "colour")


def test_unknown_type_and_unknown_version_are_told_apart():
    assert rejected(decode(raw(message(type="com.acme.thing.v1")), None, NOW))[0] == d.UNKNOWN_TYPE
    v2 = message(type="peerpulse.ingest.attendance.marked.v2")
    assert rejected(decode(raw(v2), None, NOW))[0] == d.UNKNOWN_VERSION


def test_non_string_type_is_invalid():
    assert rejected(decode(raw(message(type=7)), None, NOW))[0] == d.INVALID_FIELD


def test_wrong_specversion_is_invalid():
    code, reason = rejected(decode(raw(message(specversion="0.3")), None, NOW))
    assert (code, reason.split(":")[0]) == (d.INVALID_FIELD, "specversion")


def test_time_more_than_a_day_ahead_is_rejected_but_a_day_is_tolerated():
    assert isinstance(decode(raw(message(time="2025-02-02T12:00:00Z")), None, NOW), Command)
    code, reason = rejected(decode(raw(message(time="2025-02-02T12:00:01Z")), None, NOW))
    assert code == d.FUTURE_TIME
    assert reason.startswith("time:")


def test_time_more_than_ten_years_back_is_rejected_as_past_time():
    oldest = NOW - d.MAX_PAST
    at = (oldest + timedelta(seconds=1)).isoformat()
    assert isinstance(decode(raw(message(time=at)), None, NOW), Command)
    code, reason = rejected(decode(raw(message(time="0001-01-01T00:00:00Z")), None, NOW))
    assert code == d.PAST_TIME
    assert reason.startswith("time: 0001-01-01") and "ten years" in reason
    code, _ = rejected(
        decode(raw(message(time=(oldest - timedelta(seconds=1)).isoformat())), None, NOW)
    )
    assert code == d.PAST_TIME


def test_binary_mode_cloudevents_are_rejected():
    headers = [("ce_specversion", b"1.0")]
    assert rejected(decode(raw(message()), headers, NOW))[0] == d.UNSUPPORTED_MODE


def test_roll_call_must_not_list_a_member_twice():
    msg = message(type="peerpulse.ingest.session.held.v1")
    msg["data"] = {"program": "p", "group": "g", "session": "s", "present": ["a"], "absent": ["a"]}
    code, reason = rejected(decode(raw(msg), None, NOW))
    assert code == d.INVALID_FIELD
    assert "more than once" in reason


def test_no_attendance_taken_cannot_carry_a_roll_call():
    msg = message(type="peerpulse.ingest.session.held.v1")
    msg["data"] = {"program": "p", "group": "g", "session": "s", "present": ["a"]}
    msg["data"]["attendance_taken"] = False
    assert rejected(decode(raw(msg), None, NOW))[0] == d.INVALID_FIELD


def test_every_rejection_code_is_declared():
    assert len(set(d.CODES)) == len(d.CODES)


def test_the_type_is_read_from_the_top_level_even_when_a_value_mentions_another():
    decoy = '{"type":"peerpulse.ingest.group.formed.v1"}'
    body = message(data={"program": "p", "group": "g", "session": decoy, "member": "m",
                         "status": "present"})  # fmt: skip
    raw = json.dumps({"data": body["data"], **{k: v for k, v in body.items() if k != "data"}})
    result = decode(raw.encode(), None, NOW)
    assert isinstance(result, Command) and result.type == body["type"]
    assert result.data.session == decoy


def test_a_nested_type_key_before_the_real_one_gets_the_careful_rejection():
    body = message(data={"type": "peerpulse.ingest.group.formed.v1", "program": "p"})
    raw = json.dumps({"data": body["data"], **{k: v for k, v in body.items() if k != "data"}})
    result = decode(raw.encode(), None, NOW)
    assert isinstance(result, Rejection) and result.code == d.MISSING_FIELD
    assert result.reason.startswith("data.group: Field required")


def group_formed(**data) -> dict:
    """A valid ``group.formed``, with ``data`` fields replaced."""
    base = {"program": "p", "group": "g", "name": "Founders circle", "cadence": "weekly"}
    return message(type="peerpulse.ingest.group.formed.v1", data={**base, **data})


def test_a_name_with_nul_and_line_breaks_is_accepted_with_the_normalised_name():
    msg = group_formed(name="Founders\u0000 circle\r\n3 ", goal="Ship\ta\u202e pilot")
    result = decode(raw(msg), None, NOW)
    assert isinstance(result, Command), result
    assert (result.data.name, result.data.goal) == ("Founders circle 3", "Ship a pilot")


def test_a_name_of_nothing_but_control_characters_is_rejected_naming_it():
    code, reason = rejected(decode(raw(group_formed(name="\u0000\r\n")), None, NOW))
    assert code == d.INVALID_FIELD
    assert reason.startswith("data.name:") and "visible text" in reason


def test_a_group_name_longer_than_the_public_contract_carries_is_rejected():
    code, reason = rejected(decode(raw(group_formed(name="x" * 201)), None, NOW))
    assert (code, reason.split(":")[0]) == (d.INVALID_FIELD, "data.name")


@pytest.mark.parametrize(
    ("field", "path"),
    [("member", "data.member"), ("session", "data.session"), ("group", "data.group"),
     ("program", "data.program")],
)  # fmt: skip
def test_an_external_id_with_a_control_character_is_rejected_naming_the_field(field, path):
    msg = message()
    msg["data"][field] = "ada\u0001"
    code, reason = rejected(decode(raw(msg), None, NOW))
    assert code == d.INVALID_FIELD
    assert reason.startswith(f"{path}: ") and "U+0001" in reason


@pytest.mark.parametrize(
    ("over", "path"),
    [({"id": "m\u00001"}, "id"), ({"source": "lms\u202e"}, "source"),
     ({"subject": "g\r\n"}, "subject")],
)  # fmt: skip
def test_envelope_ids_with_a_control_or_bidi_character_are_rejected(over, path):
    code, reason = rejected(decode(raw(message(**over)), None, NOW))
    assert (code, reason.split(":")[0]) == (d.INVALID_FIELD, path)


def test_a_roll_call_id_with_a_control_character_is_rejected_naming_its_place():
    msg = message(type="peerpulse.ingest.session.held.v1")
    msg["data"] = {"program": "p", "group": "g", "session": "s", "present": ["ada", "b\x7fb"]}
    code, reason = rejected(decode(raw(msg), None, NOW))
    assert (code, reason.split(":")[0]) == (d.INVALID_FIELD, "data.present.1")


def test_a_lone_surrogate_in_a_name_is_rejected():
    body = raw(group_formed(name="PLACEHOLDER")).replace(b"PLACEHOLDER", b"x\\ud800")
    assert rejected(decode(body, None, NOW))[0] == d.INVALID_JSON

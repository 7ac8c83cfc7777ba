"""POST /v1/attendance: the topic's contract over HTTP, with errors naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.ingest import parse_attendance
from domain.ids import derive_id
from tests.unit.api.conftest import bearer

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "contract" / "examples"
HELD = json.loads((EXAMPLES / "peerpulse.ingest.session.held.v1.json").read_text())
MARKED = json.loads((EXAMPLES / "peerpulse.ingest.attendance.marked.v1.json").read_text())


def _post(client, secret, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/v1/attendance", content=data,
                       headers={**bearer(secret), "content-type": content_type})  # fmt: skip


def test_one_message_is_produced_unchanged_and_answered_202_with_its_id(client, tokens, publisher):
    raw = json.dumps(HELD).encode()
    response = _post(client, tokens["ingest"], raw, "application/cloudevents+json")
    assert response.status_code == 202, response.text
    assert response.json()["ids"] == ["msg-1006"]
    assert response.json()["records"] == [{"partition": 0, "offset": 0}]
    key, value, headers = publisher.sent[0]
    assert (key, value) == (b"circle-7", raw)
    assert ("pp-received-via", b"http") in headers


def test_a_batch_is_produced_in_order(client, tokens, publisher):
    response = _post(client, tokens["ingest"], [HELD, MARKED])
    assert response.status_code == 202
    assert response.json()["accepted"] == 2
    assert [json.loads(v)["id"] for _, v, _ in publisher.sent] == ["msg-1006", "msg-1008"]


def test_batch_is_all_or_nothing_and_names_the_bad_item_and_field(client, tokens, publisher):
    bad = {**MARKED, "data": {**MARKED["data"], "status": "sleeping"}}
    response = _post(client, tokens["ingest"], [HELD, bad])
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "[1].data.status"
    assert publisher.sent == []


@pytest.mark.parametrize("mutate, field", [
    (lambda m: m.pop("time"), "time"),
    (lambda m: m["data"].pop("member"), "data.member"),
    (lambda m: m.update(type="peerpulse.ingest.nope.v1"), "type"),
    (lambda m: m["data"].update(extra=1), "data.extra"),
    (lambda m: m.update(time="2999-01-01T00:00:00Z"), "time"),
    (lambda m: m["data"].update(member="ada\u0000"), "data.member"),
    (lambda m: m.update(source="lms\u202eexample"), "source"),
])  # fmt: skip
def test_invalid_message_is_422_naming_the_field(client, tokens, publisher, mutate, field):
    message = json.loads(json.dumps(MARKED))
    mutate(message)
    response = _post(client, tokens["ingest"], message)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert publisher.sent == []


def test_not_json_is_400_wrong_type_is_415_too_big_is_413(client, tokens):
    secret = tokens["ingest"]
    assert _post(client, secret, b"{not json").status_code == 400
    assert _post(client, secret, b"\xff\xfe").json()["error"]["code"] == "not_utf8"
    wrong = _post(client, secret, json.dumps(HELD).encode(), "text/plain")
    assert wrong.status_code == 415 and wrong.json()["error"]["field"] == "content-type"
    huge = _post(client, secret, b"[" + b" " * (256 * 1024) + b"]")
    assert huge.status_code == 413 and huge.json()["error"]["field"] == "body"
    assert _post(client, secret, []).status_code == 422
    assert _post(client, secret, [1]).json()["error"]["field"] == "[0]"


def test_ingest_token_limited_to_a_program_cannot_post_for_another(client, tokens):
    response = _post(client, tokens["ingest_b"], HELD)
    assert response.status_code == 403
    assert response.json()["error"]["field"] == "data.program"


def test_ingest_token_limited_to_the_right_program_can_post(client, container, publisher):
    program = derive_id("program", HELD["source"], HELD["data"]["program"])
    _, secret = container.token_store.create("lms-a", ["ingest"], [program])
    assert _post(client, secret, HELD).status_code == 202


def test_broker_down_is_503_not_500(client, tokens, publisher):
    publisher.fail = True
    response = _post(client, tokens["ingest"], HELD)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "broker_unavailable"


def test_rejections_are_counted_by_code(client, tokens):
    from prometheus_client import REGISTRY

    def count():
        labels = {"code": "invalid_json"}
        return REGISTRY.get_sample_value("peerpulse_api_attendance_rejected_total", labels) or 0

    before = count()
    _post(client, tokens["ingest"], b"{")
    assert count() == before + 1


def test_the_door_checks_names_by_the_same_rule_the_consumer_applies():
    formed = json.loads((EXAMPLES / "peerpulse.ingest.group.formed.v1.json").read_text())
    formed["data"]["name"] = "Founders\u0000 circle\r\n"
    [accepted] = parse_attendance(json.dumps(formed).encode(), datetime(2030, 1, 1, tzinfo=UTC))
    assert accepted.command.data.name == "Founders circle"

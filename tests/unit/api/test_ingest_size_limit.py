"""POST /v1/attendance takes a body up to the ingest contract's limit and answers 413 past it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.ingest import MAX_BATCH
from infra.limits import MAX_MESSAGE_BYTES
from tests.unit.api.conftest import bearer
from tests.unit.ingest.conftest import padded

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "contract" / "examples"
MARKED = (EXAMPLES / "peerpulse.ingest.attendance.marked.v1.json").read_bytes().strip()


def _post(client, secret, body: bytes):
    return client.post("/v1/attendance", content=body,
                       headers={**bearer(secret), "content-type": "application/json"})  # fmt: skip


@pytest.mark.parametrize("size", [MAX_MESSAGE_BYTES - 1, MAX_MESSAGE_BYTES])
def test_a_message_up_to_the_limit_is_accepted_and_produced_unchanged(
    client, tokens, publisher, size
):
    body = padded(MARKED, size)
    response = _post(client, tokens["ingest"], body)
    assert response.status_code == 202, response.text
    [(_, value, _)] = publisher.sent
    assert value == body


@pytest.mark.parametrize("size", [MAX_MESSAGE_BYTES + 1, 10 * 1000 * 1000])
def test_a_body_past_the_limit_is_413_and_nothing_is_produced(client, tokens, publisher, size):
    response = _post(client, tokens["ingest"], padded(MARKED, size))
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["field"], error["code"]) == ("body", "too_large")
    assert str(MAX_MESSAGE_BYTES) in error["message"]
    assert publisher.sent == []


def test_a_batch_past_the_limit_is_413_although_each_message_is_small(client, tokens, publisher):
    one = json.loads(MARKED)
    count = MAX_MESSAGE_BYTES // len(json.dumps(one)) + 1
    body = json.dumps([{**one, "id": f"m-{i:04}"} for i in range(count)]).encode()
    assert len(body) > MAX_MESSAGE_BYTES and count <= MAX_BATCH
    assert _post(client, tokens["ingest"], body).status_code == 413
    assert publisher.sent == []

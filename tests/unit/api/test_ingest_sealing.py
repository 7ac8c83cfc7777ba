"""POST /v1/attendance seals names and contacts before they reach the attendance topic."""

from __future__ import annotations

import json

from domain.ids import derive_id
from infra.vault import TRANSIT_PREFIX, open_from_transit
from tests.unit.api.conftest import bearer

SOURCE = "lms.example"
JOINED = {
    "specversion": "1.0", "id": "m-1", "source": SOURCE,
    "type": "peerpulse.ingest.member.joined.v1", "time": "2025-01-06T09:00:00Z",
    "data": {"program": "prog", "group": "g1", "member": "dee",
             "display_name": "Dee  Díaz", "contact": "dee@example.org"},
}  # fmt: skip
COORDINATOR = {
    **JOINED, "id": "c-1", "type": "peerpulse.ingest.coordinator.assigned.v1",
    "data": {"program": "prog", "coordinator": "c", "name": "Dana", "contact": "d@example.org"},
}  # fmt: skip


def _post(client, secret, body):
    return client.post("/v1/attendance", content=json.dumps(body).encode(),
                       headers={**bearer(secret), "content-type": "application/json"})  # fmt: skip


def test_a_members_name_and_contact_are_produced_sealed_with_their_key(
    client, tokens, publisher, container
):
    response = _post(client, tokens["ingest"], JOINED)
    assert response.status_code == 202, response.text
    _, value, _ = publisher.sent[0]
    assert b"Dee" not in value and b"dee@example.org" not in value
    data = json.loads(value)["data"]
    member = derive_id("member", SOURCE, "dee")
    assert data["display_name"].startswith(TRANSIT_PREFIX)
    assert open_from_transit(container.vault, member, data["display_name"]) == "Dee Díaz"
    assert open_from_transit(container.vault, member, data["contact"]) == "dee@example.org"
    assert {k: v for k, v in data.items() if k not in ("display_name", "contact")} == {
        "program": "prog",
        "group": "g1",
        "member": "dee",
    }


def test_a_coordinators_name_is_sealed_with_the_coordinators_key(
    client, tokens, publisher, container
):
    assert _post(client, tokens["ingest"], [JOINED, COORDINATOR]).status_code == 202
    data = json.loads(publisher.sent[1][1])["data"]
    coordinator = derive_id("coordinator", SOURCE, "c")
    assert open_from_transit(container.vault, coordinator, data["name"]) == "Dana"


def test_a_forgotten_members_message_is_refused_and_nothing_is_produced(
    client, tokens, publisher, container
):
    container.vault.destroy(derive_id("member", SOURCE, "dee"))
    response = _post(client, tokens["ingest"], [COORDINATOR, JOINED])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "member_forgotten"
    assert response.json()["error"]["field"] == "[1].data.member"
    assert publisher.sent == []

"""401 (no usable token) and 403 (wrong scope or program filter) stay distinct; what a token
may not see answers exactly like what does not exist (404)."""

from __future__ import annotations

import pytest

from tests.unit.api import seed
from tests.unit.api.conftest import bearer

READ_ENDPOINTS = ["/v1/programs", "/v1/groups", f"/v1/groups/{seed.gid(1)}",
                  f"/v1/groups/{seed.gid(1)}/members", "/v1/alerts"]  # fmt: skip


@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_missing_or_invalid_token_is_401_with_a_bearer_challenge(client, tokens, path):
    for headers in ({}, bearer("ppt_nope_nope"), bearer(""), {"Authorization": "Basic x"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["field"] == "authorization"


def test_revoked_token_is_401(client, container, tokens):
    token = container.token_store.authenticate(tokens["ops"])
    container.token_store.revoke(token.id)
    assert client.get("/v1/programs", headers=bearer(tokens["ops"])).status_code == 401


@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_ingest_token_cannot_read_403(client, tokens, path):
    response = client.get(path, headers=bearer(tokens["ingest"]))
    assert response.status_code == 403
    assert "read" in response.json()["error"]["message"]


def test_read_token_cannot_post_attendance_403(client, tokens):
    response = client.post(
        "/v1/attendance",
        content=b"{}",
        headers={**bearer(tokens["coord"]), "content-type": "application/json"},
    )
    assert response.status_code == 403


def test_coordinator_sees_only_its_programs(client, tokens):
    headers = bearer(tokens["coord"])
    programs = client.get("/v1/programs", headers=headers).json()["items"]
    assert [p["program_id"] for p in programs] == [str(seed.PROGRAM_A)]
    groups = client.get("/v1/groups", headers=headers).json()
    assert groups["total"] == 5
    assert {g["program_id"] for g in groups["items"]} == {str(seed.PROGRAM_A)}
    alerts = client.get("/v1/alerts", headers=headers).json()["items"]
    assert {a["program_id"] for a in alerts} == {str(seed.PROGRAM_A)}


@pytest.mark.parametrize("path", [
    f"/v1/groups?program={seed.PROGRAM_B}", f"/v1/alerts?program={seed.PROGRAM_B}",
])  # fmt: skip
def test_coordinator_filtering_on_another_program_is_403(client, tokens, path):
    response = client.get(path, headers=bearer(tokens["coord"]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("hidden", "missing"), [
    (f"/v1/groups/{seed.gid(6)}", f"/v1/groups/{seed.gid(42)}"),
    (f"/v1/groups/{seed.gid(6)}/members", f"/v1/groups/{seed.gid(42)}/members"),
])  # fmt: skip
def test_another_programs_group_answers_exactly_like_a_missing_group(client, tokens, hidden,
                                                                     missing):  # fmt: skip
    seen = client.get(hidden, headers=bearer(tokens["coord"]))
    absent = client.get(missing, headers=bearer(tokens["coord"]))
    assert seen.status_code == absent.status_code == 404
    assert seen.content == absent.content
    assert seen.json()["error"] == {"code": "not_found", "message": "no such group",
                                    "field": "group_id"}  # fmt: skip
    assert seen.headers["content-type"] == absent.headers["content-type"]
    assert client.get(hidden, headers=bearer(tokens["ops"])).status_code == 200


def test_another_programs_alert_answers_exactly_like_a_missing_alert(client, container, tokens):
    def ack(alert_id):
        return client.post(f"/v1/alerts/{alert_id}/ack", json={"comment": "x"},
                           headers=bearer(tokens["coord"]))  # fmt: skip

    seen, absent = ack("al-4"), ack("al-404")
    assert seen.status_code == absent.status_code == 404
    assert seen.content == absent.content
    assert container.api_queries.alert("al-4")["status"] == "delivered"


def test_ops_and_admin_tokens_see_every_program(client, tokens):
    for role in ("ops", "admin"):
        groups = client.get("/v1/groups", headers=bearer(tokens[role])).json()
        assert groups["total"] == 6, role


def test_auth_failures_are_counted_by_status(client, tokens):
    from prometheus_client import REGISTRY

    def count(status):
        return REGISTRY.get_sample_value("peerpulse_api_auth_failures_total", {"status": status})

    before = (count("401") or 0, count("403") or 0)
    client.get("/v1/groups")
    client.get("/v1/groups", headers=bearer(tokens["ingest"]))
    assert (count("401"), count("403")) == (before[0] + 1, before[1] + 1)

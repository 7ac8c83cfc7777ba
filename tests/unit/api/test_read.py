"""Read endpoints: programs, groups (filter, sort, page), one group, members, alerts."""

from __future__ import annotations

from tests.unit.api import seed
from tests.unit.api.conftest import bearer


def _get(client, tokens, path, role="ops"):
    response = client.get(path, headers=bearer(tokens[role]))
    assert response.status_code == 200, response.text
    return response.json()


def test_programs_list_groups_per_level(client, tokens):
    items = _get(client, tokens, "/v1/programs")["items"]
    founders = next(p for p in items if p["name"] == "Founders 2025")
    assert founders["levels"] == {"healthy": 2, "watch": 1, "at_risk": 1, "dormant": 1}
    assert founders["groups"] == 5


def test_groups_in_triage_order_with_top_reason(client, tokens):
    page = _get(client, tokens, f"/v1/groups?program={seed.PROGRAM_A}")
    assert [g["name"] for g in page["items"]] == [
        "Circle 7 — Founders", "Circle 9 — Product", "Circle 1 — Hiring",
        "Circle 4 — Fundraising", "Circle 3 — Growth"]  # fmt: skip
    assert [g["section"] for g in page["items"]] == ["triage"] * 4 + ["gone_quiet"]
    first = page["items"][0]
    assert first["level"] == "at_risk"
    assert first["top_reason"].startswith("No session for 19 days")
    assert first["reasons"][0]["weight"] >= first["reasons"][1]["weight"]


def test_groups_filter_by_level_and_paginate_with_total(client, tokens):
    healthy = _get(client, tokens, "/v1/groups?level=healthy")
    assert healthy["total"] == 2 and {g["level"] for g in healthy["items"]} == {"healthy"}
    page1 = _get(client, tokens, "/v1/groups?limit=4&offset=0")
    page2 = _get(client, tokens, "/v1/groups?limit=4&offset=4")
    assert page1["total"] == page2["total"] == 6
    names = [g["name"] for g in page1["items"] + page2["items"]]
    assert len(names) == len(set(names)) == 6
    ascending = _get(client, tokens, "/v1/groups?sort=score")["items"]
    assert [g["score"] for g in ascending] == sorted(g["score"] for g in ascending)


def test_group_detail_has_assessment_timeline_and_level_history(client, tokens):
    detail = _get(client, tokens, f"/v1/groups/{seed.gid(1)}")
    assert detail["group"]["level"] == "at_risk"
    held = [s for s in detail["sessions"] if s["status"] == "held"]
    assert len(held) == 6 and len(held[0]["present"]) == 5
    assert any(s["status"] == "cancelled" and s["reason"] == "holiday" for s in detail["sessions"])
    assert [c["status"] for c in detail["commitments"]] == ["kept", "kept", "missed", "made"]
    assert [h["level"] for h in detail["level_history"]] == ["healthy", "watch", "at_risk"]


def test_members_show_lapse_status_and_resolved_names(client, tokens):
    items = _get(client, tokens, f"/v1/groups/{seed.gid(1)}/members")["items"]
    assert [m["status"] for m in items] == ["active", "active", "active", "lapsed", "lapsed"]
    assert items[0]["display_name"] == "Member A" and items[0]["role"] == "facilitator"


def test_names_never_appear_outside_the_members_endpoint(client, tokens):
    for path in ("/v1/groups", f"/v1/groups/{seed.gid(1)}", "/v1/alerts"):
        assert "Member A" not in client.get(path, headers=bearer(tokens["ops"])).text


def test_unknown_group_is_404_and_malformed_id_is_422(client, tokens):
    missing = client.get(f"/v1/groups/{seed.gid(99)}", headers=bearer(tokens["ops"]))
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "group_id"
    bad = client.get("/v1/groups/not-a-uuid", headers=bearer(tokens["ops"]))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "path.group_id"


def test_bad_query_parameters_are_422_naming_the_field(client, tokens):
    for query, field in (("limit=0", "query.limit"), ("level=doomed", "query.level"),
                         ("sort=random", "query.sort"), ("program=p1", "query.program"),
                         ("offset=-1", "query.offset")):  # fmt: skip
        response = client.get(f"/v1/groups?{query}", headers=bearer(tokens["ops"]))
        assert response.status_code == 422, query
        assert response.json()["error"]["field"] == field


def test_alerts_list_and_filter_by_status(client, tokens):
    everything = _get(client, tokens, "/v1/alerts")["items"]
    assert {a["alert_id"] for a in everything} == {"al-1", "al-2", "al-3", "al-4"}
    escalated = _get(client, tokens, "/v1/alerts?status=escalated")["items"]
    assert [a["alert_id"] for a in escalated] == ["al-3"]
    assert escalated[0]["severity"] == "critical"


def test_acknowledging_an_alert_records_who_and_the_comment(client, tokens):
    response = client.post("/v1/alerts/al-1/ack", json={"comment": "Calling the facilitator"},
                           headers=bearer(tokens["coord"]))  # fmt: skip
    assert response.status_code == 200, response.text
    alert = response.json()
    assert alert["status"] == "acknowledged"
    assert alert["ack_comment"] == "Calling the facilitator"
    assert alert["acknowledged_by"] == "token:coord"


def test_acknowledging_unknown_alert_is_404_and_bad_body_is_422(client, tokens):
    headers = bearer(tokens["admin"])
    assert client.post("/v1/alerts/nope/ack", json={}, headers=headers).status_code == 404
    bad = client.post("/v1/alerts/al-1/ack", json={"comment": 5}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "body.comment"

"""Triage of groups (issue 14), on SQLite and PostgreSQL read models: the order that puts
saveable groups first, every filter, totals and pages without a cap, and a
coordinator-bound token that sees only its coordinator's groups and alerts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from peerpulse.build import build
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher, bearer

PROGRAM_A_TRIAGE = ["Circle 7 — Founders", "Circle 9 — Product", "Circle 1 — Hiring",
                    "Circle 4 — Fundraising", "Circle 3 — Growth"]  # fmt: skip


@pytest.fixture
def api(store_settings):
    """A client over the seeded read model and alerts, and secrets: ``ops`` (every program),
    ``c1`` (bound to coordinator COORD_1), ``c2a`` (COORD_2, program A only)."""
    seed.seed_readmodel(store_settings)
    seed.seed_alerts(store_settings)
    container = build(store_settings, attendance_publisher=FakePublisher(), app=seed.FakeApp())
    store = container.token_store
    secrets = {
        "ops": store.create("ops", ["read"])[1],
        "c1": store.create("c1", ["read"], coordinator=seed.COORD_1)[1],
        "c2a": store.create("c2a", ["read"], [seed.PROGRAM_A], coordinator=seed.COORD_2)[1],
    }
    with TestClient(create_app(container)) as client:
        yield client, secrets
    container.close()


def _names(client, secret, query=""):
    response = client.get(f"/v1/groups{query}", headers=bearer(secret))
    assert response.status_code == 200, response.text
    body = response.json()
    return body["total"], [g["name"] for g in body["items"]]


def test_triage_puts_at_risk_by_probability_first_and_dormant_in_its_own_section(api):
    client, s = api
    items = client.get("/v1/groups", headers=bearer(s["ops"])).json()["items"]
    assert [g["name"] for g in items] == [
        "Mentors West", "Circle 7 — Founders", "Circle 9 — Product", "Circle 1 — Hiring",
        "Circle 4 — Fundraising", "Circle 3 — Growth"]  # fmt: skip
    assert [g["section"] for g in items] == ["triage"] * 5 + ["gone_quiet"]
    assert items[0]["probability"] == 0.8 and items[0]["score"] == 0.6
    by_score = _names(client, s["ops"], "?sort=-score")[1]
    assert by_score[:3] == ["Circle 3 — Growth", "Circle 7 — Founders", "Mentors West"]


def test_filters_by_program_coordinator_levels_acknowledgement_and_name(api):
    client, s = api
    ops = s["ops"]
    assert _names(client, ops, f"?program={seed.PROGRAM_A}") == (5, PROGRAM_A_TRIAGE)
    assert _names(client, ops, f"?coordinator={seed.COORD_1}") == (
        3, ["Circle 7 — Founders", "Circle 1 — Hiring", "Circle 3 — Growth"])  # fmt: skip
    assert _names(client, ops, "?level=at_risk&level=dormant") == (
        3, ["Mentors West", "Circle 7 — Founders", "Circle 3 — Growth"])  # fmt: skip
    assert _names(client, ops, "?q=CIRCLE%201") == (1, ["Circle 1 — Hiring"])
    assert _names(client, ops, "?q=%25") == (0, [])  # a LIKE wildcard is taken literally
    waiting = _names(client, ops, "?acknowledged=false")
    assert waiting == (3, ["Mentors West", "Circle 7 — Founders", "Circle 3 — Growth"])
    assert _names(client, ops, "?acknowledged=true") == (0, [])
    ack = client.post("/v1/alerts/al-1/ack", json={"comment": "calling"}, headers=bearer(ops))
    assert ack.status_code == 200, ack.text  # al-2, its lapse alert, was acknowledged already
    assert _names(client, ops, "?acknowledged=true") == (1, ["Circle 7 — Founders"])
    rows = client.get("/v1/groups?acknowledged=false", headers=bearer(ops)).json()["items"]
    assert [(g["name"], g["alert"]) for g in rows] == [
        ("Mentors West", "open"), ("Circle 3 — Growth", "open")]  # fmt: skip
    combined = f"?program={seed.PROGRAM_A}&coordinator={seed.COORD_2}&level=watch&q=product"
    assert _names(client, ops, combined) == (1, ["Circle 9 — Product"])


def test_pages_walk_every_group_once_with_the_same_total(api):
    client, s = api
    seen = []
    for offset in range(0, 8, 2):
        total, names = _names(client, s["ops"], f"?limit=2&offset={offset}")
        assert total == 6
        seen += names
    assert len(seen) == 6 and seen == _names(client, s["ops"])[1]


@pytest.mark.parametrize(("query", "field"), [
    ("limit=201", "query.limit"), ("level=doomed", "query.level"),
    ("level=watch&level=doomed", "query.level"), ("acknowledged=maybe", "query.acknowledged"),
    ("coordinator=bob", "query.coordinator"), ("sort=score-ish", "query.sort"),
    ("q=" + "x" * 101, "query.q"),
])  # fmt: skip
def test_bad_filters_are_422_naming_the_field(api, query, field):
    client, s = api
    response = client.get(f"/v1/groups?{query}", headers=bearer(s["ops"]))
    assert response.status_code == 422, query
    assert response.json()["error"]["field"] == field


def test_a_coordinator_token_sees_only_its_groups_and_their_alerts(api):
    client, s = api
    c1 = s["c1"]
    assert _names(client, c1) == (
        3, ["Circle 7 — Founders", "Circle 1 — Hiring", "Circle 3 — Growth"])  # fmt: skip
    assert _names(client, s["c2a"]) == (2, ["Circle 9 — Product", "Circle 4 — Fundraising"])
    assert client.get(f"/v1/groups/{seed.gid(1)}", headers=bearer(c1)).status_code == 200
    other = client.get(f"/v1/groups/{seed.gid(3)}", headers=bearer(c1))
    missing = client.get(f"/v1/groups/{seed.gid(42)}", headers=bearer(c1))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    forbidden = client.get(f"/v1/groups?coordinator={seed.COORD_2}", headers=bearer(c1))
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["field"] == "coordinator"
    alerts = client.get("/v1/alerts", headers=bearer(c1)).json()["items"]
    assert {a["alert_id"] for a in alerts} == {"al-1", "al-2", "al-3"}
    theirs = client.post("/v1/alerts/al-4/ack", json={}, headers=bearer(c1))
    assert theirs.status_code == 404  # Mentors West is COORD_2's


def test_no_silent_cap_every_group_is_reachable(sqlite_settings):
    """More groups than the old 500 limit: the total counts them all and pages reach them."""
    from projections.outputs.rows import RowChange
    from projections.readmodel import tables as T
    from projections.readmodel.batch import Batch
    from projections.readmodel.store import ReadModel

    sqlite_settings.data_dir.mkdir(parents=True, exist_ok=True)
    batch = Batch()
    for n in range(520):
        batch.add([RowChange(T.GROUP_HEALTH.name, (seed.gid(1000 + n),), {
            "program_id": str(seed.PROGRAM_A), "name": f"Group {n:03d}", "status": "active",
            "level": "watch", "probability": n / 1000, "score": 0.3})])  # fmt: skip
    model = ReadModel(sqlite_settings).open()
    model.write(batch)
    model.close()
    container = build(sqlite_settings, attendance_publisher=FakePublisher(), app=seed.FakeApp())
    token = container.token_store.create("ops", ["read"])[0]
    q = container.api_queries
    names = []
    for offset in range(0, 600, 200):
        total, page = q.groups(token, limit=200, offset=offset)
        assert total == 520
        names += [g["name"] for g in page]
    assert len(set(names)) == 520 and names[0] == "Group 519" and names[-1] == "Group 000"
    container.close()


def test_alerts_are_paged_with_their_total(api):
    client, s = api
    pages = [client.get(f"/v1/alerts?limit=3&offset={offset}", headers=bearer(s["ops"])).json()
             for offset in (0, 3)]  # fmt: skip
    assert [(p["total"], len(p["items"])) for p in pages] == [(4, 3), (4, 1)]
    ids = [a["alert_id"] for p in pages for a in p["items"]]
    assert sorted(ids) == ["al-1", "al-2", "al-3", "al-4"]
    mine = client.get("/v1/alerts?limit=1", headers=bearer(s["c1"])).json()
    assert mine["total"] == 3 and len(mine["items"]) == 1  # COORD_1's groups only


def test_gone_quiet_groups_are_listed_longest_without_a_session_first(api, store_settings):
    from projections.outputs.rows import RowChange
    from projections.readmodel import tables as T
    from projections.readmodel.batch import Batch
    from projections.readmodel.store import ReadModel

    batch = Batch()
    for n, last in (
        (80, "2025-01-20T18:00:00+00:00"),
        (81, None),
        (82, "2024-12-02T18:00:00+00:00"),
    ):
        batch.add([RowChange(T.GROUP_HEALTH.name, (seed.gid(n),), {
            "program_id": str(seed.PROGRAM_B), "name": f"Quiet {n}", "status": "active",
            "level": "dormant", "probability": 0.97 + n / 10_000, "score": 1.0,
            "last_session_at": last})])  # fmt: skip
    model = ReadModel(store_settings).open()
    model.write(batch)
    model.close()
    client, s = api
    rows = client.get("/v1/groups?level=dormant", headers=bearer(s["ops"])).json()["items"]
    # never met, then quiet since December, then since January 20th, then Circle 3 (Feb 12th)
    assert [g["name"] for g in rows] == ["Quiet 81", "Quiet 82", "Quiet 80", "Circle 3 — Growth"]
    assert {g["section"] for g in rows} == {"gone_quiet"}

"""The API's queries answer the same on SQLite and PostgreSQL read models."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from peerpulse.build import build
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher


def test_endpoints_over_each_backend(store_settings):
    seed.seed_readmodel(store_settings)
    seed.seed_alerts(store_settings)
    container = build(store_settings, attendance_publisher=FakePublisher(), app=seed.FakeApp())
    _, secret = container.token_store.create("coord", ["read"], [seed.PROGRAM_A])
    with TestClient(create_app(container)) as client:
        client.headers["Authorization"] = f"Bearer {secret}"
        page = client.get("/v1/groups?limit=2&offset=1").json()
        assert page["total"] == 5
        assert [g["name"] for g in page["items"]] == ["Circle 9 — Product", "Circle 1 — Hiring"]
        assert client.get("/v1/programs").json()["items"][0]["levels"]["at_risk"] == 1
        detail = client.get(f"/v1/groups/{seed.gid(1)}").json()
        assert len(detail["sessions"]) == 7 and len(detail["level_history"]) == 3
        members = client.get(f"/v1/groups/{seed.gid(1)}/members").json()["items"]
        assert sum(m["status"] == "lapsed" for m in members) == 2
        assert client.post("/v1/alerts/al-1/ack", json={"comment": "ok"}).status_code == 200
        trend = container.api_queries.trend(str(seed.PROGRAM_A))
        assert {row["week"] for row in trend} >= {"2025-W02", "2025-W09"}
    container.close()

"""Health, readiness, metrics and the OpenAPI docs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from infra.broker import free_port
from peerpulse.build import build


def test_healthz_is_always_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_names_the_broker_when_it_is_down(sqlite_settings):
    settings = sqlite_settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{free_port()}"})
    with TestClient(create_app(build(settings))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["store"]["ok"] is True


class _BrokenQueries:
    def ping(self):
        raise OSError("database is locked")


def test_readyz_names_the_store_when_it_is_down(sqlite_settings):
    container = build(sqlite_settings, api_queries=_BrokenQueries())
    with TestClient(create_app(container)) as client:
        body = client.get("/readyz").json()
    assert "store" in body["failed"]
    assert "database is locked" in body["checks"]["store"]["error"]


def test_metrics_exposes_request_counts_by_route_template(client, tokens):
    from tests.unit.api import seed
    from tests.unit.api.conftest import bearer

    client.get(f"/v1/groups/{seed.gid(1)}", headers=bearer(tokens["ops"]))
    text = client.get("/metrics").text
    assert 'peerpulse_api_requests_total{method="GET",route="/v1/groups/{group_id}",' in text
    assert seed.gid(1) not in text
    assert "peerpulse_api_request_duration_seconds_bucket" in text


def test_unknown_paths_are_json_404_and_counted_as_unmatched(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert 'route="unmatched"' in client.get("/metrics").text


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/attendance", "/v1/groups", "/v1/alerts/{alert_id}/ack"} <= set(spec["paths"])


def test_app_factory_builds_independent_apps_without_connecting(sqlite_settings):
    container = build(sqlite_settings)
    first, second = create_app(container), create_app(container)
    assert first is not second
    assert "attendance_publisher" not in container.__dict__

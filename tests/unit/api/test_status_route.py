"""``GET /v1/status``: only for the ``ops`` scope (and admin), the status as JSON, 503 naming
the dependency that does not answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.broker_probe import BrokerError
from peerpulse.build import build
from tests.unit.api.conftest import bearer
from tests.unit.test_status import _status


class FakeReader:
    """Answers a fixed status, or raises ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.reads = error, 0

    def read(self):
        self.reads += 1
        if self.error is not None:
            raise self.error
        return _status()


def _client_and_secrets(settings, reader):
    container = build(settings, status_reader=reader)
    store = container.token_store
    secrets = {scope: store.create(scope, [scope])[1] for scope in ("read", "ops", "admin")}
    return TestClient(create_app(container), raise_server_exceptions=False), secrets


@pytest.fixture
def fresh_for(monkeypatch):
    """Sets how long one status reading answers the route."""
    import api.routes.ops

    return lambda seconds: monkeypatch.setattr(api.routes.ops, "STATUS_FRESH_S", seconds)


def test_a_read_only_token_is_refused_and_an_ops_token_gets_the_status(sqlite_settings, fresh_for):
    fresh_for(0)
    reader = FakeReader()
    client, secrets = _client_and_secrets(sqlite_settings, reader)
    with client:
        refused = client.get("/v1/status", headers=bearer(secrets["read"]))
        assert refused.status_code == 403
        assert "lacks the 'ops' scope" in refused.json()["error"]["message"]
        assert reader.reads == 0
        assert client.get("/v1/status").status_code == 401
        for scope in ("ops", "admin"):
            answer = client.get("/v1/status", headers=bearer(secrets[scope]))
            assert answer.status_code == 200, answer.text
            assert answer.json() == _status().to_dict() | {
                "measured_at": answer.json()["measured_at"]
            }
    assert reader.reads == 2
    body = answer.json()
    assert [r["role"] for r in body["roles"]] == ["ingest", "relay", "worker"]
    assert body["roles"][0]["holder"]["pid"] == 4242


def test_one_reading_answers_the_requests_of_the_next_seconds(sqlite_settings, fresh_for):
    fresh_for(60)
    reader = FakeReader()
    client, secrets = _client_and_secrets(sqlite_settings, reader)
    with client:
        bodies = [client.get("/v1/status", headers=bearer(secrets["ops"])).json() for _ in "abc"]
    assert reader.reads == 1 and bodies == [_status().to_dict()] * 3


@pytest.mark.parametrize("message", ["no Kafka broker answers at 127.0.0.1:1: refused"])
def test_an_unreachable_broker_is_a_503_naming_it(sqlite_settings, message, fresh_for):
    fresh_for(0)
    client, secrets = _client_and_secrets(sqlite_settings, FakeReader(BrokerError(message)))
    with client:
        answer = client.get("/v1/status", headers=bearer(secrets["ops"]))
    assert answer.status_code == 503
    assert answer.json()["error"] == {"code": "unavailable", "message": message, "field": None}


def test_the_openapi_document_lists_the_status_route(sqlite_settings):
    client, _ = _client_and_secrets(sqlite_settings, FakeReader())
    with client:
        spec = client.get("/openapi.json").json()
    assert "/v1/status" in spec["paths"]

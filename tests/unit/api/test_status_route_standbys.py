"""``GET /v1/status`` carries the relay's standbys (decision 0022)."""

from __future__ import annotations

from dataclasses import replace

from infra.lock_holder import Holder
from tests.unit.api.conftest import bearer
from tests.unit.api.test_status_route import _client_and_secrets
from tests.unit.test_status import _status


class StandbyReader:
    """Answers a status whose relay has two standbys."""

    def read(self):
        status = _status()
        roles = tuple(replace(r, standbys=(Holder(78, "10.0.0.6"), Holder(79)))
                      if r.role == "relay" else r for r in status.roles)  # fmt: skip
        return replace(status, roles=roles)


def test_the_status_route_names_the_relays_standbys(sqlite_settings):
    client, secrets = _client_and_secrets(sqlite_settings, StandbyReader())
    with client:
        answer = client.get("/v1/status", headers=bearer(secrets["ops"]))
    assert answer.status_code == 200, answer.text
    relay = next(r for r in answer.json()["roles"] if r["role"] == "relay")
    assert relay["standbys"] == [{"pid": 78, "host": "10.0.0.6"}, {"pid": 79, "host": None}]
    ingest = next(r for r in answer.json()["roles"] if r["role"] == "ingest")
    assert ingest["standbys"] == []

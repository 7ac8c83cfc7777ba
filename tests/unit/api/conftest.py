"""API test fixtures: an app over a seeded read model, tokens per role, a fake publisher."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from peerpulse.build import build
from tests.unit.api import seed


@dataclass
class FakeRecord:
    partition: int
    offset: int


@dataclass
class FakePublisher:
    """Records what would have been produced; ``fail`` makes the broker refuse."""

    sent: list = field(default_factory=list)
    fail: bool = False
    closed: bool = False

    def publish(self, accepted, headers):
        from api.errors import ApiError

        if self.fail:
            raise ApiError(503, "the broker did not accept the messages", code="broker_unavailable")
        start = len(self.sent)
        self.sent += [(a.key, a.value, headers) for a in accepted]
        return [FakeRecord(0, start + i) for i in range(len(accepted))]

    def close(self):
        self.closed = True


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def container(sqlite_settings, publisher):
    c = build(sqlite_settings, attendance_publisher=publisher, app=seed.FakeApp())
    seed.seed_readmodel(sqlite_settings)
    seed.seed_alerts(sqlite_settings)
    yield c
    c.close()


@pytest.fixture
def client(container):
    with TestClient(create_app(container), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tokens(container) -> dict[str, str]:
    """Secrets by role: admin, ops (read, all programs), coord (read, program A), ingest."""
    store = container.token_store
    made = {
        "admin": store.create("admin", ["admin"]),
        "ops": store.create("ops", ["read"]),
        "coord": store.create("coord", ["read"], [seed.PROGRAM_A]),
        "ingest": store.create("lms", ["ingest"]),
        "ingest_b": store.create("lms-b", ["ingest"], [seed.PROGRAM_B]),
    }
    return {role: secret for role, (_, secret) in made.items()}


def bearer(secret: str) -> dict[str, str]:
    """Authorization header for ``secret``."""
    return {"Authorization": f"Bearer {secret}"}

"""Ingest test kit: an in-memory EngagementApp, a fake vault and message builders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from consumers.ingest.mapper import apply
from domain.application import EngagementApp
from domain.ids import derive_id
from infra.contract.inbound.decoder import Command, decode
from infra.vault import MemoryVault as FakeVault

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW = datetime(2030, 1, 1, tzinfo=UTC)
SOURCE = "lms.example"
EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "contract" / "examples"


@pytest.fixture
def app() -> EngagementApp:
    return EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=FakeVault())


def msg(kind: str, data: dict[str, Any], at: float = 0, source: str = SOURCE) -> bytes:
    """An ingest message of ``kind`` (e.g. ``session.held``) ``at`` days after T0."""
    group = {"program": "prog", "group": "g1"}
    body = {
        "specversion": "1.0", "id": uuid4().hex, "source": source,
        "type": f"peerpulse.ingest.{kind}.v1",
        "time": (T0 + timedelta(days=at)).isoformat(),
        "data": data if kind.startswith(("program.", "coordinator.")) else {**group, **data},
    }  # fmt: skip
    return json.dumps(body).encode()


def padded(raw: bytes, size: int) -> bytes:
    """``raw`` (a JSON object) grown to exactly ``size`` bytes with insignificant whitespace."""
    assert raw.startswith(b"{") and len(raw) <= size
    return b"{" + b" " * (size - len(raw)) + raw[1:]


def command(raw: bytes) -> Command:
    result = decode(raw, None, NOW)
    assert isinstance(result, Command), result
    return result


def send(app: EngagementApp, *raws: bytes) -> None:
    """Apply each message in its own batch, as the consumer would."""
    for raw in raws:
        with app.batch():
            apply(app, command(raw))


def gid(external: str = "g1", source: str = SOURCE) -> UUID:
    return derive_id("group", source, external)


def mid(external: str, source: str = SOURCE) -> UUID:
    return derive_id("member", source, external)


def sid(external: str, group: str = "g1", source: str = SOURCE) -> UUID:
    return derive_id("session", source, f"{group}/{external}")


def events(app: EngagementApp, aggregate_id: UUID) -> list[str]:
    """Names of the events recorded for one aggregate, in order."""
    return [type(e).__name__ for e in app.repository.event_store.get(aggregate_id)]


def examples_in_time_order() -> list[Path]:
    """The documented examples sorted by event time (then name), as a sender would emit them."""
    paths = EXAMPLES.glob("peerpulse.ingest.*.json")
    return sorted(paths, key=lambda p: (json.loads(p.read_text())["time"], p.name))

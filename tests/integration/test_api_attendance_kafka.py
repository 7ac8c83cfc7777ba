"""POST /v1/attendance against a real broker: the record is on the topic, byte for byte."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ingest import AttendancePublisher
from infra.kafka import read_all
from infra.limits import MAX_MESSAGE_BYTES
from infra.topics import ATTENDANCE, create_topics
from peerpulse.build import build
from tests.unit.ingest.conftest import padded

pytestmark = pytest.mark.kafka
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "contract" / "examples"


@pytest.fixture
def topic(kafka_bootstrap) -> str:
    name = f"{ATTENDANCE.name}.{uuid.uuid4().hex[:8]}"
    create_topics(kafka_bootstrap, 3, (dataclasses.replace(ATTENDANCE, name=name),))
    return name


@pytest.fixture
def client(sqlite_settings, kafka_bootstrap, topic):
    settings = sqlite_settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap})
    publisher = AttendancePublisher(kafka_bootstrap, topic=topic)
    container = build(settings, attendance_publisher=publisher)
    _, secret = container.token_store.create("lms", ["ingest"])
    with TestClient(create_app(container)) as c:
        c.headers["Authorization"] = f"Bearer {secret}"
        yield c
    assert publisher._producer is None  # closed at shutdown
    container.close()


def test_posted_messages_are_read_back_from_the_topic(client, kafka_bootstrap, topic):
    held = (EXAMPLES / "peerpulse.ingest.session.held.v1.json").read_bytes()
    marked = json.loads((EXAMPLES / "peerpulse.ingest.attendance.marked.v1.json").read_text())
    one = client.post("/v1/attendance", content=held,
                      headers={"content-type": "application/cloudevents+json"})  # fmt: skip
    assert one.status_code == 202, one.text
    batch = client.post("/v1/attendance", json=[marked, {**marked, "id": "msg-1009"}])
    assert batch.status_code == 202, batch.text

    records = sorted(read_all(kafka_bootstrap, topic), key=lambda r: (r.partition, r.offset))
    assert len(records) == 3
    by_id = {json.loads(r.value)["id"]: r for r in records}
    assert by_id["msg-1006"].value == held
    assert by_id["msg-1006"].key == b"circle-7"
    assert ("pp-received-via", b"http") in by_id["msg-1008"].headers
    answered = one.json()["records"] + batch.json()["records"]
    placed = {(r["partition"], r["offset"]) for r in answered}
    assert placed == {(r.partition, r.offset) for r in records}


def test_readyz_is_ready_with_a_live_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["failed"] == []


def test_a_message_at_the_size_limit_is_on_the_topic_and_one_past_it_is_refused(
    client, kafka_bootstrap, topic
):
    marked = (EXAMPLES / "peerpulse.ingest.attendance.marked.v1.json").read_bytes().strip()
    sizes = (MAX_MESSAGE_BYTES - 1, MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES + 1, 10 * 1000 * 1000)
    bodies = {size: padded(marked, size) for size in sizes}
    answers = {size: client.post("/v1/attendance", content=body,
                                 headers={"content-type": "application/json"}).status_code
               for size, body in bodies.items()}  # fmt: skip
    assert list(answers.values()) == [202, 202, 413, 413]
    on_topic = sorted((r.value for r in read_all(kafka_bootstrap, topic)), key=len)
    assert on_topic == [bodies[MAX_MESSAGE_BYTES - 1], bodies[MAX_MESSAGE_BYTES]]

"""POST /v1/attendance never queues: 503 + Retry-After when busy or when the broker is late."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kafka.errors import KafkaTimeoutError
from kafka.future import Future

from api.app import create_app
from api.ingest import AttendancePublisher
from peerpulse.build import build
from tests.unit.api import seed
from tests.unit.api.conftest import bearer

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "contract" / "examples"
MARKED = json.loads((EXAMPLES / "peerpulse.ingest.attendance.marked.v1.json").read_text())


@dataclass
class Record:
    partition: int
    offset: int


class Ack(Future):
    """A send's future with kafka-python's blocking ``get``."""

    def get(self, timeout=None):
        deadline = time.monotonic() + (timeout or 0)
        while not self.is_done and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.succeeded():
            raise self.exception or KafkaTimeoutError("not acknowledged")
        return self.value


@dataclass
class ScriptedProducer:
    """A producer whose sends the broker acknowledges at once, or never (``stuck``)."""

    stuck: bool = False
    futures: list = field(default_factory=list)

    def send(self, topic, key, value, headers):
        future = Ack()
        self.futures.append(future)
        if not self.stuck:
            future.success(Record(0, len(self.futures) - 1))
        return future

    def flush(self, timeout=None):
        for future in self.futures:
            future.get(timeout)

    def close(self, timeout=None):
        pass


class ScriptedPublisher(AttendancePublisher):
    """The real publisher over a :class:`ScriptedProducer` instead of Kafka."""

    def __init__(self, producer: ScriptedProducer, **kw) -> None:
        super().__init__("127.0.0.1:1", **kw)
        self.scripted = producer

    def _get(self):
        return self.scripted


def _client(settings, publisher):
    container = build(settings, attendance_publisher=publisher, app=seed.FakeApp())
    _, secret = container.token_store.create("lms", ["ingest"])
    client = TestClient(create_app(container), raise_server_exceptions=False)
    client.headers.update(bearer(secret))
    return client, container


@pytest.fixture
def door(sqlite_settings, request):
    """A client over a :class:`ScriptedPublisher`; params: (stuck, max_pending, timeout)."""
    stuck, max_pending, timeout = request.param
    publisher = ScriptedPublisher(ScriptedProducer(stuck), timeout=timeout)
    settings = sqlite_settings.model_copy(update={"api_max_pending": max_pending})
    client, container = _client(settings, publisher)
    with client:
        yield client, publisher
    container.close()


def _post(client, n: int = 0):
    started = time.perf_counter()
    response = client.post("/v1/attendance", json={**MARKED, "id": f"msg-{n}"})
    return response, time.perf_counter() - started


def _assert_unavailable(response, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    error = response.json()["error"]
    assert error["code"] == code
    assert "re-send" in error["message"]


@pytest.mark.parametrize("door", [(False, 64, 0.5)], indirect=True)
def test_under_the_bound_a_post_is_acknowledged_202_with_its_record(door):
    client, publisher = door
    response, _ = _post(client)
    assert response.status_code == 202, response.text
    assert response.json()["records"] == [{"partition": 0, "offset": 0}]
    assert publisher.pending == 0


@pytest.mark.parametrize("door", [(True, 64, 0.3)], indirect=True)
def test_a_broker_that_never_acknowledges_is_answered_503_with_retry_after_within_1s(door):
    client, _ = door
    response, took = _post(client)
    _assert_unavailable(response, "broker_timeout")
    assert took < 1.0


@pytest.mark.parametrize("door", [(True, 2, 0.8)], indirect=True)
def test_at_the_bound_the_next_post_is_refused_at_once_while_the_others_wait(door):
    client, publisher = door
    with ThreadPoolExecutor(2) as pool:
        waiting = [pool.submit(_post, client, n) for n in (1, 2)]
        deadline = time.monotonic() + 0.5
        while publisher.pending < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert publisher.pending == 2
        refused, took = _post(client, 3)
        assert not any(f.done() for f in waiting)  # the first two are still pending
        answers = [f.result()[0] for f in waiting]
    _assert_unavailable(refused, "busy")
    assert took < 0.2
    for answer in answers:
        _assert_unavailable(answer, "broker_timeout")


@pytest.mark.parametrize("door", [(True, 64, 0.2)], indirect=True)
def test_unacknowledged_messages_past_the_bound_make_the_door_busy_until_they_settle(door):
    client, publisher = door
    publisher.max_pending = 2
    for n in (1, 2):
        _assert_unavailable(_post(client, n)[0], "broker_timeout")
    refused, took = _post(client, 3)
    _assert_unavailable(refused, "busy")
    assert took < 0.2
    for n, future in enumerate(publisher.scripted.futures):
        future.success(Record(0, n))
    publisher.scripted.stuck = False
    assert _post(client, 4)[0].status_code == 202


def test_the_publisher_never_blocks_the_event_loop_while_the_producer_is_built(sqlite_settings):
    release = threading.Event()

    class SlowStart(ScriptedPublisher):
        def _get(self):
            release.wait(5)
            return self.scripted

    client, container = _client(sqlite_settings, SlowStart(ScriptedProducer(), timeout=0.3))
    with client:
        response, took = _post(client)
        health = client.get("/healthz")
        release.set()
    container.close()
    _assert_unavailable(response, "broker_timeout")
    assert took < 1.0 and health.status_code == 200

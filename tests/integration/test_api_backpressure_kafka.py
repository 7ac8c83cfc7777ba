"""POST /v1/attendance against a paused broker (SIGSTOP): bounded answers, then recovery.

The broker is this module's own (the session's is shared and must never be paused).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ingest import AttendancePublisher
from infra.kafka import read_all
from infra.topics import ATTENDANCE, create_topics
from peerpulse.build import build

pytestmark = pytest.mark.kafka
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "contract" / "examples"
MARKED = json.loads((EXAMPLES / "peerpulse.ingest.attendance.marked.v1.json").read_text())


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    from infra.broker import BrokerError, EmbeddedBroker, free_port
    from tests.conftest import server_missing

    broker = EmbeddedBroker(port=free_port(), log_dir=tmp_path_factory.mktemp("paused-broker"))
    try:
        broker.start()
    except BrokerError as exc:
        server_missing(f"embedded Kafka broker ({exc})")
    create_topics(broker.bootstrap, 3, (ATTENDANCE,))
    yield broker
    broker.stop()


@contextlib.contextmanager
def paused(broker):
    """The broker's process group stopped (SIGSTOP) for the block, continued after it."""
    group = os.getpgid(broker._proc.pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


@pytest.fixture
def door(sqlite_settings, broker, request):
    """A client posting to the paused-able broker; param: (api_max_pending, publisher timeout)."""
    max_pending, timeout = getattr(request, "param", (64, 0.5))
    settings = sqlite_settings.model_copy(
        update={"kafka_bootstrap": broker.bootstrap, "api_max_pending": max_pending}
    )
    publisher = AttendancePublisher(broker.bootstrap, timeout=timeout)
    container = build(settings, attendance_publisher=publisher)
    _, secret = container.token_store.create("lms", ["ingest"])
    with TestClient(create_app(container)) as client:
        client.headers["Authorization"] = f"Bearer {secret}"
        yield client
    container.close()


def _post(client, msg_id: str):
    started = time.perf_counter()
    response = client.post("/v1/attendance", json={**MARKED, "id": msg_id})
    return response, time.perf_counter() - started


def _assert_unavailable(response, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == code


def _ids_on_topic(bootstrap: str) -> set[str]:
    return {json.loads(r.value)["id"] for r in read_all(bootstrap, ATTENDANCE.name)}


def test_a_paused_broker_is_answered_503_with_retry_after_within_1s_then_202_again(door, broker):
    warm, _ = _post(door, "bp-warm")
    assert warm.status_code == 202, warm.text
    with paused(broker):
        response, took = _post(door, "bp-paused")
    _assert_unavailable(response, "broker_timeout")
    assert took < 1.0
    deadline = time.monotonic() + 20
    answer, _ = _post(door, "bp-after")
    while answer.status_code != 202 and time.monotonic() < deadline:
        time.sleep(0.2)
        answer, _ = _post(door, "bp-after")
    assert answer.status_code == 202, answer.text
    assert {"bp-warm", "bp-after"} <= _ids_on_topic(broker.bootstrap)


@pytest.mark.parametrize("door", [(2, 0.9)], indirect=True)
def test_at_the_bound_the_next_post_is_refused_at_once_while_the_others_wait(door, broker):
    assert _post(door, "bound-warm")[0].status_code == 202
    with paused(broker), ThreadPoolExecutor(2) as pool:
        waiting = [pool.submit(_post, door, f"bound-{n}") for n in (1, 2)]
        time.sleep(0.3)
        refused, took = _post(door, "bound-3")
        still_waiting = not any(f.done() for f in waiting)
        answers = [f.result() for f in waiting]
    _assert_unavailable(refused, "busy")
    assert took < 0.2
    assert still_waiting
    for answer, took_then in answers:
        _assert_unavailable(answer, "broker_timeout")
        assert took_then < 1.0

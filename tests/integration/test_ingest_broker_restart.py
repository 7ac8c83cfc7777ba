"""A broker that restarted empty (the embedded Tansu keeps nothing): ingest reads it again."""

from __future__ import annotations

import logging
import uuid

import pytest

from consumers.ingest.positions import stored_offset
from domain.ids import derive_id
from infra.broker import EmbeddedBroker, free_port
from infra.topics import Topic, create_topics
from tests.integration.ingest_kit import container, message, publish, running, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def roster_and_sessions(group: str, sessions: int) -> list[bytes]:
    return [
        message("group.formed", {"name": group, "cadence": "weekly"}, group=group),
        message("member.joined", {"member": f"{group}-ada"}, group=group),
        *[message("session.held", {"session": f"s{i}", "present": [f"{group}-ada"]},
                  at=7 * i + 1, group=group) for i in range(sessions)],
    ]  # fmt: skip


def stored(app, topic: str) -> int | None:
    return stored_offset(app, topic, 0)


def held(app, group: str) -> int:
    events = app.repository.event_store.get(derive_id("group", "lms.test", group))
    return sum(type(e).__name__ == "SessionHeld" for e in events)


def test_a_broker_restarted_empty_is_consumed_again_from_the_beginning(store_settings, caplog):
    names = (f"t-restart-{uuid.uuid4().hex[:8]}", f"t-restart-dlq-{uuid.uuid4().hex[:8]}")
    caplog.set_level(logging.WARNING, logger="consumers.ingest.positions")
    port = free_port()
    with EmbeddedBroker(host="127.0.0.1", port=port) as first:
        create_topics(first.start().bootstrap, 1, tuple(Topic(n, "k", "v", "t") for n in names))
        c = container(store_settings, first.bootstrap)
        n = publish(first.bootstrap, names[0], roster_and_sessions("before", 10))
        with running(c, *names):
            wait_for(lambda: stored(c.app, names[0]) == n - 1, what="first broker consumed")
        c.close()
    with EmbeddedBroker(host="127.0.0.1", port=port) as second:
        create_topics(second.start().bootstrap, 1, tuple(Topic(n, "k", "v", "t") for n in names))
        c = container(store_settings, second.bootstrap)
        m = publish(second.bootstrap, names[0], roster_and_sessions("after", 3))
        assert m < n
        with running(c, *names):
            wait_for(lambda: held(c.app, "after") == 3, what="refilled topic consumed")
            wait_for(lambda: stored(c.app, names[0]) == m - 1, what="position recorded")
        assert "lost its data" in caplog.text
        assert held(c.app, "before") == 10
        c.close()

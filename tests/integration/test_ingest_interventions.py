"""Interventions through the real broker (decision 0019): a logged call becomes the group's
fact; one on a group peerpulse never heard of is dead-lettered with the reason, and the
rest of the stream applies."""

from __future__ import annotations

import pytest

from consumers.ingest import dlq
from domain.ids import derive_id
from infra.kafka import read_all
from tests.integration.ingest_kit import (
    container,
    message,
    positions,
    publish,
    running,
    topics,
    wait_for,
)

pytestmark = [pytest.mark.kafka]
SRC = "lms.test"
GROUP = derive_id("group", SRC, "g1")
ROSTER = [
    message("program.launched", {"name": "P", "organisation": "O", "cadence": "weekly"}),
    message(
        "coordinator.assigned",
        {"coordinator": "staff-1", "name": "Dana", "contact": "dana@example.org"},
    ),
    message("group.formed", {"name": "Circle", "cadence": "weekly", "goal": "ship"}),
]


def test_an_intervention_applies_and_one_on_an_unknown_group_is_dead_lettered_with_why(
    store_settings, kafka_bootstrap
):
    topic, dead = topics(kafka_bootstrap, partitions=1)
    c = container(store_settings, kafka_bootstrap)
    call = {"coordinator": "staff-1", "kind": "call", "note": "rang the facilitator"}
    ghost = message("intervention.logged", call, at=3, group="circle-404")
    stream = [*ROSTER, ghost, message("intervention.logged", call, at=3)]
    publish(kafka_bootstrap, topic, stream)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic, 1) == len(stream), what="stream consumed")
    names = [type(e).__name__ for e in c.app.repository.event_store.get(GROUP)]
    assert names == ["Formed", "InterventionLogged"]
    [letter] = read_all(kafka_bootstrap, dead)
    headers = dict(letter.headers)
    assert (letter.value, headers[dlq.HEADER_CODE]) == (ghost, b"domain_error")
    reason = headers[dlq.HEADER_REASON].decode()
    assert reason.startswith("unknown-group:") and "'circle-404'" in reason
    c.close()

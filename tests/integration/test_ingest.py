"""Ingest against the real broker on SQLite and PostgreSQL: facts, DLQ, exactly-once."""

from __future__ import annotations

from datetime import UTC, datetime

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
    message("group.formed", {"name": "Circle", "cadence": "weekly", "goal": "ship"}),
    message("member.joined", {"member": "ada"}),
    message("member.joined", {"member": "bob"}),
]
HELD = message("session.held", {"session": "s1", "present": ["ada"], "absent": ["bob"]}, at=7)


def event_names(app, aggregate_id) -> list[str]:
    return [type(e).__name__ for e in app.repository.event_store.get(aggregate_id)]


def test_valid_stream_yields_the_expected_domain_events(store_settings, kafka_bootstrap):
    topic, dead = topics(kafka_bootstrap)
    c = container(store_settings, kafka_bootstrap)
    n = publish(kafka_bootstrap, topic, [*ROSTER, HELD])
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic) == n, what="all messages applied")
    assert event_names(c.app, GROUP) == ["Formed", "MemberJoined", "MemberJoined", "SessionHeld"]
    assert c.app.get_program(derive_id("program", SRC, "prog")).name == "P"
    c.close()


BAD = {
    "invalid_json": b"{nope",
    "not_utf8": b"\xff\xfe",
    "unknown_type": message("group.formed", {}).replace(b"group.formed", b"group.exploded"),
    "unknown_version": message("member.left", {"member": "x"}).replace(b".v1", b".v7"),
    "missing_field": message("attendance.marked", {"session": "s1", "status": "present"}),
    "invalid_field": message("attendance.marked", {"session": "s1", "member": 5, "status": "x"}),
    "future_time": message("member.left", {"member": "bob"}, at=10_000),
    "too_large": message("group.resumed", {}).replace(b"{", b"{" + b" " * 300_000, 1),
    "domain_error": message("group.formed", {"name": "Other", "cadence": "monthly"}),
}


def test_bad_input_lands_in_the_dlq_with_its_code_while_the_rest_applies(
    store_settings, kafka_bootstrap
):
    topic, dead = topics(kafka_bootstrap, partitions=1)
    c = container(store_settings, kafka_bootstrap)
    stream = list(ROSTER)
    for bad in BAD.values():
        stream += [bad, message("member.joined", {"member": f"m{len(stream)}"})]
    stream.append(HELD)
    publish(kafka_bootstrap, topic, stream)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic, 1) == len(stream), what="stream consumed")
    letters = read_all(kafka_bootstrap, dead)
    codes = [dict(r.headers)[dlq.HEADER_CODE].decode() for r in letters]
    assert codes == list(BAD)
    first = dict(letters[0].headers)
    assert first[dlq.HEADER_TOPIC] == topic.encode()
    assert first[dlq.HEADER_PARTITION] == b"0" and first[dlq.HEADER_OFFSET] == b"4"
    assert letters[0].value == BAD["invalid_json"]
    assert b"data.member" in dict(letters[4].headers)[dlq.HEADER_REASON]
    assert len(c.app.get_group(GROUP).members) == 2 + len(BAD)
    assert event_names(c.app, GROUP)[-1] == "SessionHeld"
    c.close()


def test_a_commitment_made_after_its_settlement_is_amended_and_only_a_conflict_dead_letters(
    store_settings, kafka_bootstrap
):
    topic, dead = topics(kafka_bootstrap, partitions=1)
    c = container(store_settings, kafka_bootstrap)
    made = {"commitment": "c1", "session": "s1", "due": "2025-01-20T09:00:00Z"}
    stream = [
        *ROSTER,
        HELD,
        message("commitment.kept", {"commitment": "c1", "member": "ada"}, at=8),
        message("commitment.made", {**made, "member": "ada"}, at=7),
        message("commitment.made", {**made, "member": "bob"}, at=7),
    ]
    publish(kafka_bootstrap, topic, stream)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic, 1) == len(stream), what="stream consumed")
    commitment = c.app.get_group(GROUP).commitments[str(derive_id("commitment", SRC, "g1/c1"))]
    assert (commitment["status"], commitment["due"]) == (
        "kept",
        datetime(2025, 1, 20, 9, tzinfo=UTC),
    )
    assert commitment["session_id"] == derive_id("session", SRC, "g1/s1")
    assert event_names(c.app, GROUP)[-2:] == ["CommitmentKept", "CommitmentAmended"]
    [letter] = read_all(kafka_bootstrap, dead)
    headers = dict(letter.headers)
    assert (letter.value, headers[dlq.HEADER_CODE]) == (stream[-1], b"domain_error")
    ada, bob = (derive_id("member", SRC, m) for m in ("ada", "bob"))
    reason = headers[dlq.HEADER_REASON].decode()
    assert reason.startswith("commitment-conflict:") and f"by member {ada}, not {bob}" in reason
    c.close()


def test_a_message_delivered_twice_has_one_effect(store_settings, kafka_bootstrap):
    topic, dead = topics(kafka_bootstrap)
    c = container(store_settings, kafka_bootstrap)
    n = publish(kafka_bootstrap, topic, [*ROSTER, HELD, HELD, ROSTER[3]])
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic) == n, what="all messages applied")
    assert event_names(c.app, GROUP) == ["Formed", "MemberJoined", "MemberJoined", "SessionHeld"]
    assert read_all(kafka_bootstrap, dead) == []
    c.close()


def test_restart_resumes_from_the_stored_position(store_settings, kafka_bootstrap):
    topic, dead = topics(kafka_bootstrap)
    c = container(store_settings, kafka_bootstrap)
    first = publish(kafka_bootstrap, topic, ROSTER)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic) == first, what="roster applied")
    second = publish(kafka_bootstrap, topic, [HELD])
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic) == first + second, what="session applied")
    assert event_names(c.app, GROUP) == ["Formed", "MemberJoined", "MemberJoined", "SessionHeld"]
    c.close()


def test_a_message_applying_fails_on_is_dead_lettered_and_ingest_goes_on(
    store_settings, kafka_bootstrap, monkeypatch
):
    """A defect triggered by one valid message (here: the mapper raising for one member)
    dead-letters that message with code ``unprocessable`` and its reason; the messages
    behind it are applied and ingest keeps running."""
    from consumers.ingest import consumer

    real_apply = consumer.apply

    def apply_with_a_defect(app, command):
        if getattr(command.data, "member", None) == "cursed":
            raise KeyError("roster slot")
        return real_apply(app, command)

    monkeypatch.setattr(consumer, "apply", apply_with_a_defect)
    topic, dead = topics(kafka_bootstrap, partitions=1)
    c = container(store_settings, kafka_bootstrap)
    stream = [*ROSTER, message("member.joined", {"member": "cursed"}), HELD]
    publish(kafka_bootstrap, topic, stream)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic, 1) == len(stream), what="stream consumed")
    letters = read_all(kafka_bootstrap, dead)
    assert [dict(r.headers)[dlq.HEADER_CODE] for r in letters] == [b"unprocessable"]
    assert b"KeyError: 'roster slot'" in dict(letters[0].headers)[dlq.HEADER_REASON]
    assert event_names(c.app, GROUP)[-1] == "SessionHeld"
    c.close()


def test_many_rejected_messages_in_one_batch_do_not_exhaust_the_conflict_retries(
    store_settings, kafka_bootstrap, monkeypatch
):
    """25 messages of one poll failing on their own each re-run the batch once; that is not
    a conflict, so ingest does not give up (it used to after 20)."""
    from consumers.ingest import consumer

    real_apply = consumer.apply

    def apply_with_defects(app, command):
        if str(getattr(command.data, "member", "")).startswith("cursed"):
            raise KeyError("roster slot")
        return real_apply(app, command)

    monkeypatch.setattr(consumer, "apply", apply_with_defects)
    topic, dead = topics(kafka_bootstrap, partitions=1)
    c = container(store_settings, kafka_bootstrap)
    cursed = [message("member.joined", {"member": f"cursed-{i}"}) for i in range(25)]
    stream = [*ROSTER, *cursed, HELD]
    publish(kafka_bootstrap, topic, stream)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic, 1) == len(stream), what="stream consumed")
    assert len(read_all(kafka_bootstrap, dead)) == 25
    assert event_names(c.app, GROUP)[-1] == "SessionHeld"
    c.close()

"""The relay publishes every stored domain event exactly once, in order, onto the topic.

Each test records through the real EngagementApp into its own SQLite store and relays to
its own topic on the session's embedded broker; a consumer then reads the whole topic.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from infra.bootstrap import build
from infra.contract import decode
from infra.contract.translate import NOT_PUBLISHED
from infra.kafka import read_all
from infra.relay_positions import partition_for, position_of
from tests.integration.test_relay_history import record_history

pytestmark = [pytest.mark.kafka]
PARTITIONS = 3


def unique_topic(name: str) -> str:
    """A topic name no other test uses."""
    return f"test.{name}.{uuid.uuid4().hex[:10]}"


def relay_settings(settings, bootstrap: str, partitions: int = PARTITIONS):
    """The test's store settings pointed at ``bootstrap``."""
    return settings.model_copy(
        update={"kafka_bootstrap": bootstrap, "topic_partitions": partitions}
    )


def expected_records(app, partitions: int = PARTITIONS, quarantined: frozenset = frozenset()):
    """``{(partition, position): 1}`` for every record the store implies (``quarantined``:
    notification ids the relay sends to its DLQ instead)."""
    expected: Counter = Counter()
    last = app.recorder.max_notification_id() or 0
    for n in app.recorder.select_notifications(1, last):
        name = n.topic.rsplit(":", 1)[1]
        if name in NOT_PUBLISHED or n.id in quarantined:
            continue
        if name == "Clock.Ticked":
            expected.update((p, n.id) for p in range(partitions))
        else:
            expected[(partition_for(str(n.originator_id).encode(), partitions), n.id)] += 1
    return expected


def assert_published_exactly_once(
    app,
    bootstrap: str,
    topic: str,
    partitions: int = PARTITIONS,
    quarantined: frozenset = frozenset(),
) -> list:
    """Every stored event is on the topic once (ticks once per partition), in order."""
    records = read_all(bootstrap, topic, timeout=120)
    seen = Counter((r.partition, position_of(r.headers)) for r in records)
    duplicated = {k: v for k, v in seen.items() if v > 1}
    expected = expected_records(app, partitions, quarantined)
    assert not duplicated, f"{len(duplicated)} duplicated, e.g. {list(duplicated)[:5]}"
    missing = sorted(set(expected) - set(seen))
    assert not missing, f"{len(missing)} missing, e.g. {missing[:5]}"
    assert set(seen) == set(expected)
    last_position: dict[int, int] = defaultdict(int)
    last_version: dict[tuple[int, str], int] = {}
    for r in records:
        event, headers = decode(r.value), dict(r.headers)
        assert headers["pp-type"].decode() == event.type
        position = position_of(r.headers)
        assert position > last_position[r.partition], "positions go back within a partition"
        last_position[r.partition] = position
        version = int(headers["pp-aggregate-version"])
        assert version > last_version.get((r.partition, event.subject), 0)
        last_version[(r.partition, event.subject)] = version
    return records


def test_ten_thousand_events_appear_exactly_once_with_each_group_in_version_order(
    store_settings, kafka_bootstrap
):
    topic = unique_topic("relay")
    container = build(relay_settings(store_settings, kafka_bootstrap), relay_topic=topic)
    try:
        last = record_history(container.app, 10_000)
        published = container.relay.run(until_caught_up=True)
        container.relay.close()
        records = assert_published_exactly_once(container.app, kafka_bootstrap, topic)
    finally:
        container.close()
    assert last >= 10_000 and published == last - 1  # Clock.Started stays internal
    groups = {decode(r.value).subject for r in records if r.key not in (b"clock",)}
    assert len(groups) > 40


def test_a_restarted_relay_publishes_only_what_is_new(sqlite_settings, kafka_bootstrap):
    topic = unique_topic("resume")
    settings = relay_settings(sqlite_settings, kafka_bootstrap)
    first = build(settings, relay_topic=topic)
    try:
        record_history(first.app, 800)
        first.relay.run(until_caught_up=True)
        first.relay.close()
        first.app.tick(datetime(2030, 1, 1, tzinfo=UTC))
    finally:
        first.close()
    second = build(settings, relay_topic=topic)
    try:
        assert second.relay.run(until_caught_up=True) == 1
        second.relay.close()
        assert_published_exactly_once(second.app, kafka_bootstrap, topic)
    finally:
        second.close()

"""The relay publishes every stored domain event exactly once, in order, onto the topic.

Each test records through the real EngagementApp into its own SQLite store and relays to
its own topic on the session's embedded broker; a consumer then reads the whole topic.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.contract import decode
from peerpulse.build import build
from tests.integration.relay_kit import (
    assert_published_exactly_once,
    record_history,
    relay_settings,
    unique_topic,
)

pytestmark = [pytest.mark.kafka]


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

"""A third party reads peerpulse.events.v1 with librdkafka and plain JSON, no peerpulse code.

The consumer is the snippet in docs/contract/README.md, executed as written.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from peerpulse.build import build
from tests.integration.relay_kit import PARTITIONS, record_history, relay_settings, unique_topic

pytestmark = [pytest.mark.kafka]
README = Path(__file__).parents[2] / "docs/contract/README.md"


def readme_snippet() -> dict:
    """Execute the README's consumer snippet; returns its namespace."""
    text = README.read_text()
    code = re.search(r"<!-- consumer:begin -->\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


def test_librdkafka_consumer_reads_every_event_as_cloudevents_json(
    sqlite_settings, kafka_bootstrap
):
    topic = unique_topic("thirdparty")
    container = build(relay_settings(sqlite_settings, kafka_bootstrap), relay_topic=topic)
    try:
        last = record_history(container.app, 600)
        published = container.relay.run(until_caught_up=True)
        container.relay.close()
        stored_ticks = sum(
            n.topic.endswith("Clock.Ticked")
            for n in container.app.recorder.select_notifications(1, last)
        )
    finally:
        container.close()
    read_events = readme_snippet()["read_events"]
    events = list(read_events(kafka_bootstrap, topic, group="third-party", idle_s=8.0))
    ticks = [e for e in events if e["type"] == "peerpulse.clock.ticked.v1"]
    assert len(events) == published + (PARTITIONS - 1) * stored_ticks
    assert len(ticks) == PARTITIONS * stored_ticks
    by_subject = defaultdict(list)
    for e in events:
        assert e["specversion"] == "1.0" and e["source"] == "peerpulse/domain"
        by_subject[e["subject"]].append(int(e["id"].rsplit(":", 1)[1]))
    for subject, versions in by_subject.items():
        if subject != ticks[0]["subject"]:
            assert versions == sorted(set(versions)), subject
    assert not [e for e in events if "display_name" in e["data"] or "contact" in e["data"]]

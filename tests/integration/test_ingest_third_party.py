"""A third-party producer (librdkafka via confluent_kafka) publishes every documented example."""

from __future__ import annotations

import json

import pytest

from domain.ids import derive_id
from infra.kafka import read_all
from tests.integration.ingest_kit import container, positions, running, topics, wait_for
from tests.unit.ingest.conftest import examples_in_time_order

pytestmark = [pytest.mark.kafka]


def test_every_documented_example_published_by_librdkafka_is_applied(
    store_settings, kafka_bootstrap
):
    confluent_kafka = pytest.importorskip("confluent_kafka")
    topic, dlq = topics(kafka_bootstrap)
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True, "linger.ms": 5}
    )
    paths = examples_in_time_order()
    for path in paths:
        body = path.read_bytes()
        key = json.loads(body)["data"]["program"].encode()
        producer.produce(
            topic, value=body, key=key, headers=[("content-type", b"application/json")]
        )
    assert producer.flush(30) == 0
    c = container(store_settings, kafka_bootstrap)
    with running(c, topic, dlq):
        wait_for(lambda: positions(c.app, topic) == len(paths), what="examples applied")
    assert read_all(kafka_bootstrap, dlq) == []
    source = "lms.northbridge.edu"
    group = c.app.get_group(derive_id("group", source, "circle-7"))
    assert (group.name, group.cadence, len(group.commitments)) == (
        "Circle 7 - climate founders",
        "fortnightly",  # formed weekly; the documented group.changed example changes it
        2,
    )
    assert c.app.member_profile(derive_id("member", source, "stu-1001")).display_name == (
        "Ada Lovelace"
    )
    program = c.app.get_program(derive_id("program", source, "founders-2025"))
    assert program.name == "Founders circles 2025"  # renamed by the program.changed example
    c.close()

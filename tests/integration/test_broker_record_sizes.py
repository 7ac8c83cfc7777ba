"""Record sizes peerpulse relies on, pinned against the embedded Tansu broker.

The catalogue (infra/limits.py) assumes the broker takes a record that fills one whole
producer request, and hands a record far larger than the consumer's fetch sizes back whole
(other senders may produce one; ingest must read it to dead-letter it).
"""

from __future__ import annotations

import uuid

import pytest
from kafka.errors import MessageSizeTooLargeError

from infra import kafka as k
from infra.limits import MAX_REQUEST_BYTES, record_size
from infra.topics import Topic, create_topics

pytestmark = pytest.mark.kafka
KEY = b"prog"


@pytest.fixture
def topic(kafka_bootstrap: str) -> str:
    """A fresh 1-partition topic with a unique name."""
    name = f"sizes-{uuid.uuid4().hex[:10]}"
    create_topics(kafka_bootstrap, 1, (Topic(name, "test", "test", "record size test"),))
    return name


def filling_one_request() -> bytes:
    """A value whose record (with :data:`KEY`) is exactly one producer request."""
    n = MAX_REQUEST_BYTES - record_size(KEY, b"", [])
    while record_size(KEY, b"x" * n, []) > MAX_REQUEST_BYTES:
        n -= 1
    return b"x" * n


def test_a_record_filling_one_request_is_taken_and_one_byte_more_is_refused_by_the_client(
    kafka_bootstrap, topic
):
    value = filling_one_request()
    assert record_size(KEY, value, []) == MAX_REQUEST_BYTES
    p = k.producer(kafka_bootstrap)
    try:
        assert p.config["max_request_size"] == MAX_REQUEST_BYTES
        p.send(topic, key=KEY, value=value).get(30)
        with pytest.raises(MessageSizeTooLargeError):
            p.send(topic, key=KEY, value=value + b"x")
    finally:
        p.close()
    [record] = k.read_all(kafka_bootstrap, topic)
    assert record.value == value


def test_a_ten_megabyte_record_from_another_sender_is_read_back_whole(kafka_bootstrap, topic):
    value = b"x" * (10 * 1000 * 1000)
    p = k.producer(kafka_bootstrap, max_request_size=32 * 1024 * 1024)
    try:
        p.send(topic, key=KEY, value=value).get(30)
    finally:
        p.close()
    [record] = k.read_all(kafka_bootstrap, topic)
    assert record.value == value

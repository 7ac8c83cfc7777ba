"""Every broker behaviour peerpulse relies on, pinned against the embedded Tansu broker.

If a Tansu upgrade changes one of these, this module says which assumption broke.
The raw high-watermark defect is pinned too, so we notice when the workaround can go.
"""

from __future__ import annotations

import time
import uuid

import confluent_kafka as ck
import pytest
from kafka import OffsetAndMetadata, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from infra import kafka as k
from infra.topics import Topic, create_topics

pytestmark = pytest.mark.kafka


@pytest.fixture
def topic(kafka_bootstrap: str) -> str:
    """A fresh 3-partition topic with a unique name."""
    name = f"contract-{uuid.uuid4().hex[:10]}"
    create_topics(kafka_bootstrap, 3, (Topic(name, "test", "test", "contract test"),))
    return name


def _send_batch(bootstrap: str, topic: str, partition: int, n: int, **kw) -> list[int]:
    """Send ``n`` records to one partition in a single produce batch; return their offsets."""
    p = k.producer(bootstrap, linger_ms=200, **kw)
    try:
        futures = [p.send(topic, value=b"v%d" % i, partition=partition) for i in range(n)]
        p.flush(10)
        return [f.get(10).offset for f in futures]
    finally:
        p.close()


def test_offsets_are_contiguous_from_zero_per_partition(kafka_bootstrap, topic):
    assert _send_batch(kafka_bootstrap, topic, 0, 5) == [0, 1, 2, 3, 4]
    assert _send_batch(kafka_bootstrap, topic, 0, 3) == [5, 6, 7]
    assert _send_batch(kafka_bootstrap, topic, 2, 2) == [0, 1]
    got = [(r.partition, r.offset) for r in k.read_all(kafka_bootstrap, topic)]
    assert got == [(0, i) for i in range(8)] + [(2, 0), (2, 1)]


def test_raw_list_offsets_latest_is_first_offset_of_last_batch_plus_one(kafka_bootstrap, topic):
    """THE TANSU DEFECT. If this fails, Tansu was fixed: the probe in end_offsets can go."""
    _send_batch(kafka_bootstrap, topic, 0, 6)
    tp = TopicPartition(topic, 0)
    c = k.consumer(kafka_bootstrap, None)
    try:
        assert c.end_offsets([tp]) == {tp: 1}  # correct Kafka: 6
        c.assign([tp])
        c.seek_to_end(tp)
        assert c.position(tp) == 1  # so seek_to_end and auto_offset_reset="latest" re-read 5
    finally:
        c.close()
    assert len(k.read_all(kafka_bootstrap, topic)) == 6  # all records are stored


def test_fetch_response_high_watermark_is_correct(kafka_bootstrap, topic):
    """What the workaround relies on: Fetch reports the true high watermark."""
    _send_batch(kafka_bootstrap, topic, 1, 4)
    tp = TopicPartition(topic, 1)
    c = k.consumer(kafka_bootstrap, None, fetch_max_wait_ms=10)
    try:
        c.assign([tp])
        c.seek(tp, 4)
        deadline = time.monotonic() + 5
        while c.highwater(tp) is None and time.monotonic() < deadline:
            c.poll(50)
        assert c.highwater(tp) == 4
    finally:
        c.close()


def test_end_offsets_returns_the_true_end_after_multi_record_batches(kafka_bootstrap, topic):
    _send_batch(kafka_bootstrap, topic, 0, 7)
    _send_batch(kafka_bootstrap, topic, 0, 5)
    _send_batch(kafka_bootstrap, topic, 1, 1)
    tps = [TopicPartition(topic, p) for p in range(3)]
    assert k.end_offsets(kafka_bootstrap, tps) == dict(zip(tps, [12, 1, 0], strict=True))
    c = k.consumer(kafka_bootstrap, None)
    try:
        assert k.end_offsets(c, tps) == dict(zip(tps, [12, 1, 0], strict=True))
    finally:
        c.close()
    last = k.read_last_record(kafka_bootstrap, topic, 0)
    assert (last.offset, last.value) == (11, b"v4")
    assert k.read_last_record(kafka_bootstrap, topic, 2) is None


def test_headers_round_trip_as_bytes(kafka_bootstrap, topic):
    headers = [("pp-error-code", b"schema"), ("bin", bytes(range(256))), ("empty", b"")]
    p = k.producer(kafka_bootstrap)
    p.send(topic, key=b"g", value=b"x", headers=headers).get(10)
    p.close()
    (record,) = k.read_all(kafka_bootstrap, topic)
    assert [(h, bytes(v)) for h, v in record.headers] == headers


def test_one_key_stays_on_one_partition_in_send_order(kafka_bootstrap, topic):
    p = k.producer(kafka_bootstrap)
    metas = [p.send(topic, key=f"g{i % 4}".encode(), value=b"%d" % i) for i in range(40)]
    p.flush(10)
    partition_of = {m.get(10).partition for m in metas[::4]}
    assert len(partition_of) == 1
    records = [r for r in k.read_all(kafka_bootstrap, topic) if r.key == b"g0"]
    assert [int(r.value) for r in records] == list(range(0, 40, 4))


def test_idempotent_acks_all_producer_is_accepted(kafka_bootstrap, topic):
    p = k.producer(kafka_bootstrap)
    assert p.config["enable_idempotence"] and p.config["acks"] == -1
    offsets = [p.send(topic, value=b"x", partition=2).get(10).offset for _ in range(3)]
    p.close()
    assert offsets == [0, 1, 2]


def test_explicit_partition_produce_and_fetch_from_a_given_offset(kafka_bootstrap, topic):
    _send_batch(kafka_bootstrap, topic, 2, 10)
    tp = TopicPartition(topic, 2)
    c = k.consumer(kafka_bootstrap, None)
    try:
        c.assign([tp])
        c.seek(tp, 7)
        got: list[int] = []
        deadline = time.monotonic() + 5
        while len(got) < 3 and time.monotonic() < deadline:
            got += [r.offset for r in c.poll(200).get(tp, [])]
    finally:
        c.close()
    assert got == [7, 8, 9]


def _drain(c, want: int, timeout: float = 15) -> list:
    got, deadline = [], time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        for records in c.poll(200).values():
            got += records
    return got


def test_group_join_commit_and_resume_from_committed_offset(kafka_bootstrap, topic):
    _send_batch(kafka_bootstrap, topic, 0, 5)
    group = f"g-{uuid.uuid4().hex[:8]}"
    c = k.consumer(kafka_bootstrap, group, topic)
    started = time.monotonic()
    first = _drain(c, 5)
    assert [r.value for r in first] == [b"v%d" % i for i in range(5)]
    assert time.monotonic() - started < 10  # joins after ~half the 6 s session timeout
    c.commit({TopicPartition(topic, 0): OffsetAndMetadata(3, "", -1)})
    c.close()
    _send_batch(kafka_bootstrap, topic, 0, 1)
    c = k.consumer(kafka_bootstrap, group, topic)
    try:
        resumed = _drain(c, 3)
        assert c.committed(TopicPartition(topic, 0)) == 3
    finally:
        c.close()
    assert [r.offset for r in resumed] == [3, 4, 5]


def test_topic_creation_with_configs_is_idempotent(kafka_bootstrap):
    name = f"contract-cfg-{uuid.uuid4().hex[:8]}"
    t = Topic(name, "k", "v", "d", compacted=True, retention_ms=60_000, partitions=2)
    assert create_topics(kafka_bootstrap, 3, (t,)) == {name: True}
    assert create_topics(kafka_bootstrap, 5, (t,)) == {name: False}
    a = k.admin(kafka_bootstrap)
    try:
        (desc,) = a.describe_topics([name])
        res = ConfigResource(ConfigResourceType.TOPIC, name)
        cfg = a.describe_configs([res], config_filter="all")["topic"][name]
    finally:
        a.close()
    assert len(desc["partitions"]) == 2
    assert cfg["cleanup.policy"]["value"] == "compact"
    assert cfg["retention.ms"]["value"] == "60000"


def test_confluent_and_kafka_python_interoperate(kafka_bootstrap, topic):
    keys = [f"group-{i}".encode() for i in range(6)]
    cp = ck.Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True,
                      "partitioner": "murmur2_random"})  # fmt: skip
    for key in keys:
        cp.produce(topic, key=key, value=b"from-confluent", headers=[("h", b"\x00\xff")])
    assert cp.flush(10) == 0
    kp = k.producer(kafka_bootstrap)
    kafka_python_partition = {key: kp.send(topic, key=key, value=b"from-kp").get(10).partition
                              for key in keys}  # fmt: skip
    kp.close()
    by_key: dict[bytes, set[int]] = {}
    for r in k.read_all(kafka_bootstrap, topic):
        by_key.setdefault(r.key, set()).add(r.partition)
        if r.value == b"from-confluent":
            assert [(h, bytes(v)) for h, v in r.headers] == [("h", b"\x00\xff")]
    assert by_key == {key: {kafka_python_partition[key]} for key in keys}  # murmur2 agrees
    cc = ck.Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": f"cc-{uuid.uuid4().hex}",
                      "auto.offset.reset": "earliest", "session.timeout.ms": 6000})  # fmt: skip
    try:
        cc.subscribe([topic])
        got, deadline = [], time.monotonic() + 15
        while len(got) < 12 and time.monotonic() < deadline:
            m = cc.poll(0.2)
            if m is not None and not m.error():
                got.append(m.value())
    finally:
        cc.close()
    assert sorted(got) == sorted([b"from-confluent"] * 6 + [b"from-kp"] * 6)


def test_a_restarted_embedded_broker_starts_empty(tmp_path):
    """Memory storage keeps nothing: the relay must refill topics from the event store."""
    from infra.broker import EmbeddedBroker, free_port

    broker = EmbeddedBroker(port=free_port(), log_dir=tmp_path)
    with broker:
        create_topics(broker.bootstrap, 1, (Topic("kept", "k", "v", "d"),))
        _send_batch(broker.bootstrap, "kept", 0, 2)
        assert len(k.read_all(broker.bootstrap, "kept")) == 2
    with broker:
        assert create_topics(broker.bootstrap, 1, (Topic("kept", "k", "v", "d"),)) == {"kept": True}
        assert k.read_all(broker.bootstrap, "kept") == []

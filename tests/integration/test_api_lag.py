"""Consumer lag for /metrics: each consumer's own position against the real topic's end."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from infra.kafka import consumer, producer
from infra.topics import ALERTS, ATTENDANCE, EVENTS, create_topics
from peerpulse.build import build
from projections.readmodel.batch import Batch
from projections.readmodel.store import ReadModel

pytestmark = pytest.mark.kafka


class _Tracking:
    """The ingest consumer's tracking records: offset 1 of partition 0 applied."""

    def __init__(self, topic):
        self.topic = topic

    def max_tracking_position(self, name):
        return 1 if name == f"kafka:{self.topic}:0" else None


def test_lag_is_measured_from_each_consumers_own_position(sqlite_settings, kafka_bootstrap):
    suffix = uuid.uuid4().hex[:8]
    topics = {"ingest": f"{ATTENDANCE.name}.{suffix}", "projections": f"{EVENTS.name}.{suffix}",
              "alerts": f"{ALERTS.name}.{suffix}"}  # fmt: skip
    base = {"ingest": ATTENDANCE, "projections": EVENTS, "alerts": ALERTS}
    create_topics(
        kafka_bootstrap, 2, tuple(dataclasses.replace(base[k], name=v) for k, v in topics.items())
    )
    prod = producer(kafka_bootstrap)
    for name, count in (("ingest", 5), ("projections", 3), ("alerts", 4)):
        for i in range(count):
            prod.send(topics[name], value=b"x%d" % i, partition=0)
    prod.flush()
    prod.close()

    batch = Batch()
    batch.position(topics["projections"], 0, 0)  # offset 0 projected: next is 1
    model = ReadModel(sqlite_settings).open()
    model.write(batch)
    model.close()
    group = f"alerts-{suffix}"
    committer = consumer(kafka_bootstrap, group)
    tp = TopicPartition(topics["alerts"], 0)
    committer.assign([tp])
    committer.commit({tp: OffsetAndMetadata(1, "", -1)})
    committer.close(autocommit=False)

    alerts = sqlite_settings.alerts.model_copy(update={"group_id": group})
    settings = sqlite_settings.model_copy(
        update={"kafka_bootstrap": kafka_bootstrap, "alerts": alerts}
    )
    container = build(settings, app=_Tracking(topics["ingest"]))
    lags = container.lag_monitor(topics=topics).measure()
    assert lags == {"ingest": 3, "projections": 2, "alerts": 3}

    from prometheus_client import REGISTRY

    def gauge(consumer: str, partition: int) -> float | None:
        labels = {"consumer": consumer, "partition": str(partition)}
        return REGISTRY.get_sample_value("peerpulse_consumer_lag_messages", labels)

    assert [gauge("ingest", p) for p in (0, 1)] == [3, 0]  # every record went to partition 0
    assert [gauge("projections", p) for p in (0, 1)] == [2, 0]

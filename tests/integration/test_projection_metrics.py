"""The worker process exports its Prometheus metrics under the catalogue's names."""

from __future__ import annotations

import time
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra import metrics
from infra.broker import free_port
from infra.kafka import producer
from infra.settings import Settings
from infra.topics import create_topics
from projections.outputs.episodes import STAGES
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.wire import ProjectionTopics
from tests.integration.projection_kit import (
    PARTITIONS,
    histories,
    publish,
    start_worker,
    stop_worker,
    topic_total,
    wait_for_checkpoint,
)
from tests.unit.projections.builder import Clock

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
CATALOGUE = {
    metrics.PROJECTION_EVENTS: "counter",
    metrics.PROJECTION_REJECTED: "counter",
    metrics.PROJECTION_LAG_SECONDS: "gauge",
    metrics.PROJECTION_GROUPS: "gauge",
    metrics.PROJECTION_FLAG_EPISODES: "gauge",
}


def scrape(port: int) -> dict:
    """Metric families by name from the worker's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def family(metric) -> str:
    return metric.describe()[0].name


def test_worker_exports_projection_metrics_with_catalogue_names(
    kafka_bootstrap, tmp_path, monkeypatch
):
    tag = uuid.uuid4().hex[:8]
    names = ProjectionTopics(f"m{tag}.events", f"m{tag}.health", f"m{tag}.alerts")
    create_topics(kafka_bootstrap, PARTITIONS, names.catalogue())
    groups = histories()
    publish(kafka_bootstrap, names.events, groups, Clock(), "", "9999")
    p = producer(kafka_bootstrap)
    p.send(names.events, key=b"junk", value=b"not a cloudevent", partition=0)
    p.flush()
    p.close()
    port = free_port()
    monkeypatch.setenv("PEERPULSE_METRICS_PORT", str(port))
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        kafka_bootstrap=kafka_bootstrap,
        topic_partitions=PARTITIONS,
    )
    proc = start_worker(settings, names, f"m-{tag}")
    try:
        wait_for_checkpoint(settings, names, topic_total(kafka_bootstrap, names.events), proc)
        deadline = time.monotonic() + 10
        while True:
            try:
                families = scrape(port)
                break
            except OSError:
                assert time.monotonic() < deadline, "no /metrics on the worker"
                time.sleep(0.2)
    finally:
        stop_worker(proc)

    for metric, kind in CATALOGUE.items():
        assert family(metric).startswith("peerpulse_projection_")
        assert families[family(metric)].type == kind, family(metric)
    samples = {name: f.samples for name, f in families.items()}
    events = {
        s.labels["type"]: s.value
        for s in samples[family(metrics.PROJECTION_EVENTS)]
        if s.name.endswith("_total")
    }
    assert events["peerpulse.session.held.v1"] == sum(
        1 for g in groups for e in g.events if e["type"] == "peerpulse.session.held.v1"
    )
    assert events["peerpulse.clock.ticked.v1"] > 0
    rejected = [
        s.value for s in samples[family(metrics.PROJECTION_REJECTED)] if s.name.endswith("_total")
    ]
    assert rejected == [1.0]
    groups_by_level: dict[str, float] = {}
    for s in samples[family(metrics.PROJECTION_GROUPS)]:
        groups_by_level[s.labels["level"]] = groups_by_level.get(s.labels["level"], 0) + s.value
    assert sum(groups_by_level.values()) == len(groups)
    assert groups_by_level["dormant"] >= 1
    (lag,) = samples[family(metrics.PROJECTION_LAG_SECONDS)]
    assert lag.value >= 0
    episodes = {(s.labels["program"], s.labels["stage"]): s.value
                for s in samples[family(metrics.PROJECTION_FLAG_EPISODES)]}  # fmt: skip
    rm = ReadModel(settings).open()
    try:
        stored = {(row[0], stage): value for row in rm.rows(T.PROGRAM_EPISODES)
                  for stage, value in zip(T.PROGRAM_EPISODES.columns, row, strict=True)
                  if stage in STAGES and value}  # fmt: skip
    finally:
        rm.close()
    assert episodes == stored
    assert sum(v for (_, stage), v in stored.items() if stage == "flagged") >= 1

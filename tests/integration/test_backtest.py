"""The backtest reads a program's history from a real events topic and a real event store,
and judges it exactly as it judges the same events handed over in memory."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks._detection_replay import Pipeline
from infra.settings import Settings
from infra.simulator import simulate
from infra.topics import create_topics
from peerpulse.build import build
from projections.backtest import NAIVE, Report, run_backtest
from projections.backtest.sources import StoreSource, TopicSource
from projections.risk.assess import DEFAULT_POLICY
from projections.worker.wire import ProjectionTopics
from tests.integration.projection_kit import PARTITIONS, histories, publish
from tests.unit.projections.builder import T0, Clock, envelopes, ticks

POLICIES = {"current": DEFAULT_POLICY}
END = T0 + timedelta(days=84)


def published_order(groups) -> list[dict]:
    """The events in the order :func:`publish` sends them (by time; ticks first on a tie)."""
    stream = [(e["time"], i, e) for i, g in enumerate(groups) for e in g.events]
    stream += [(e["time"], -1, e) for e in ticks(Clock(), T0, END)]
    return [e for _, _, e in sorted(stream, key=lambda x: (x[0], x[1]))]


def _same(a: Report, b: Report) -> None:
    assert a.summaries() == b.summaries()
    assert a.labels == b.labels
    for name, ev in a.evaluations.items():
        assert sorted(ev.outcomes, key=lambda o: o.group) == sorted(
            b.evaluations[name].outcomes, key=lambda o: o.group
        )


@pytest.mark.kafka
def test_a_backtest_of_the_events_topic_judges_as_the_same_events_in_memory(kafka_bootstrap):
    names = ProjectionTopics(*(f"bt{uuid.uuid4().hex[:8]}.{n}" for n in ("ev", "h", "a")))
    create_topics(kafka_bootstrap, PARTITIONS, names.catalogue())
    groups = histories()
    publish(kafka_bootstrap, names.events, groups, Clock(), "", "9999")

    source = TopicSource(kafka_bootstrap, names.events)
    from_topic = run_backtest(source, POLICIES, progress=False, total=source.total)

    in_memory = envelopes(published_order(groups))
    _same(from_topic, run_backtest(in_memory, POLICIES, progress=False))
    assert source.skipped == 0
    assert from_topic.events == source.total > len(in_memory), "ticks go to every partition"
    assert from_topic.labels["dormant"] >= 2 and from_topic.labels["kept_meeting"] >= 1
    assert from_topic.summaries()[NAIVE].recall == 1.0


@pytest.mark.postgres
def test_a_backtest_of_a_postgresql_event_store_reads_what_the_relay_publishes(
    postgres_settings: Settings,
):
    parts = build(postgres_settings)
    try:
        sim = simulate(11, datetime(2025, 6, 1, tzinfo=UTC), groups=8, weeks=12)
        published = list(Pipeline(parts.app).events(sim, sim.end))
        source = StoreSource(parts.app, batch=100)
        read_back = list(source)
    finally:
        parts.close()
    assert [(e.type, e.subject, e.time, dict(e.data)) for e in read_back] == [
        (e.type, e.subject, e.time, dict(e.data)) for e in published
    ]
    assert source.skipped == 0 and source.total >= len(read_back)
    report = run_backtest(read_back, POLICIES, progress=False)
    _same(report, run_backtest(published, POLICIES, progress=False))
    assert report.labels["dormant"] > 0 and report.summaries()["current"].dormant > 0


@pytest.mark.postgres
def test_peerpulse_backtest_compares_a_candidate_policy_on_a_postgresql_store(
    postgres_settings: Settings, tmp_path
):
    import dataclasses
    import os
    import subprocess
    import sys

    from peerpulse.commands.up import settings_env

    parts = build(postgres_settings)
    try:
        sim = simulate(5, datetime(2025, 6, 1, tzinfo=UTC), groups=10, weeks=14)
        list(Pipeline(parts.app).events(sim, sim.end))
    finally:
        parts.close()
    candidate = tmp_path / "candidate.json"
    eager = dataclasses.replace(DEFAULT_POLICY, dormant_after_periods=1.0)  # flags far sooner
    eager.to_file(candidate)
    env = {**os.environ, **settings_env(postgres_settings)}

    def backtest(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "peerpulse", "backtest", "--no-progress", *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

    html = tmp_path / "report.html"
    done = backtest("--candidate", str(candidate), "--html", str(html))
    assert done.returncode == 0, done.stderr
    head = next(line for line in done.stdout.splitlines() if "current" in line)
    assert "candidate" in head and "naive" in head, done.stdout
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if "|" in line}
    alerts = rows["alerts per coordinator per week"].split("|")[2:4]
    assert alerts[0] != alerts[1], "the eager candidate judges differently"
    assert "<svg" in html.read_text()

    broken = tmp_path / "broken.json"
    broken.write_text('{"no_such_setting": 1}')
    refused = backtest("--candidate", str(broken))
    assert refused.returncode != 0 and "no_such_setting" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1

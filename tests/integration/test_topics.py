"""``peerpulse topics`` and ``peerpulse broker`` through the real CLI entry point."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from kafka.admin import ConfigResource, ConfigResourceType

from infra.broker import EmbeddedBroker, free_port
from infra.kafka import admin
from infra.topics import ALL_TOPICS, GROUP_HEALTH
from peerpulse.cli import main

pytestmark = pytest.mark.kafka


@pytest.fixture
def fresh_broker(tmp_path) -> Iterator[EmbeddedBroker]:
    """A broker of its own, so "created" vs "exists" does not depend on other tests."""
    with EmbeddedBroker(port=free_port(), log_dir=tmp_path) as broker:
        yield broker


@pytest.fixture
def cli_env(monkeypatch, tmp_path, fresh_broker) -> str:
    monkeypatch.setenv("PEERPULSE_KAFKA_BOOTSTRAP", fresh_broker.bootstrap)
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(tmp_path / "pp"))
    monkeypatch.setenv("PEERPULSE_TOPIC_PARTITIONS", "4")
    return fresh_broker.bootstrap


def test_topics_create_makes_every_catalogue_topic_and_is_idempotent(cli_env, capsys):
    assert main(["topics", "create"]) == 0
    first = capsys.readouterr().out
    assert main(["topics", "create"]) == 0
    second = capsys.readouterr().out
    for topic in ALL_TOPICS:
        assert f"created  {topic.name}" in first
        assert f"exists   {topic.name}" in second
    client = admin(cli_env)
    try:
        described = {t["name"]: len(t["partitions"]) for t in client.describe_topics()}
        configs = client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, GROUP_HEALTH.name)], config_filter="all"
        )
    finally:
        client.close()
    assert {t.name: 4 for t in ALL_TOPICS}.items() <= described.items()
    assert configs["topic"][GROUP_HEALTH.name]["cleanup.policy"]["value"] == "compact"


def test_topics_list_shows_missing_then_partitions(cli_env, capsys):
    assert main(["topics", "list"]) == 0
    assert capsys.readouterr().out.count("MISSING") == len(ALL_TOPICS)
    main(["topics", "create", "--partitions", "2"])
    capsys.readouterr()
    assert main(["topics", "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("2 partitions") == len(ALL_TOPICS)
    assert "compact" in next(line for line in out.splitlines() if GROUP_HEALTH.name in line)


def test_topics_without_a_broker_is_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setenv("PEERPULSE_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}")
    assert main(["topics", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("peerpulse topics: no Kafka broker answers at 127.0.0.1:")
    assert len(err.strip().splitlines()) == 1


def test_broker_on_a_taken_port_exits_2_with_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(tmp_path / "pp"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code = main(["broker", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"peerpulse broker: port 127.0.0.1:{port} is already in use\n"
    assert "Traceback" not in err

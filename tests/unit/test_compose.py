"""docker-compose.yml stays runnable: it parses, pins every image, and runs real commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from infra.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
PEERPULSE = {name: s for name, s in SERVICES.items() if s["image"].startswith("peerpulse:")}
PINNED = re.compile(r"^[\w./-]+:(v?\d+(\.\d+)+)[\w.-]*$")


def _subcommands(parser) -> dict:
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            return action.choices
    return {}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_image_is_pinned_to_a_version(name):
    image = SERVICES[name]["image"]
    assert PINNED.match(image), f"{name}: image {image!r} is not pinned to a version"
    assert not image.endswith(":latest")


@pytest.mark.parametrize("name", sorted(PEERPULSE))
def test_every_peerpulse_service_runs_a_real_cli_command(name):
    command = PEERPULSE[name]["command"]
    parser = build_parser()
    commands = _subcommands(parser)
    assert command[0] in commands, f"{name}: 'peerpulse {command[0]}' is not a CLI command"
    args = parser.parse_args(command)
    assert callable(args.handler)


def test_production_stack_has_its_infrastructure_and_every_service():
    images = {s["image"].split(":")[0] for s in SERVICES.values()}
    assert {"apache/kafka", "prom/prometheus", "grafana/grafana", "axllent/mailpit"} <= images
    assert any(i.startswith("postgres") for i in images)
    assert {"relay", "ingest", "worker", "alerts", "api"} <= set(PEERPULSE)
    assert SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_peerpulse_services_share_one_image_and_the_production_profile():
    assert {s["image"] for s in PEERPULSE.values()} == {"peerpulse:0.1.0"}
    for name, service in PEERPULSE.items():
        env = service["environment"]
        assert env["PEERPULSE_STORE"] == "postgres", name
        assert env["PEERPULSE_KAFKA_BOOTSTRAP"] == "kafka:9092", name


def test_dependencies_name_real_services():
    for name, service in SERVICES.items():
        assert set(service.get("depends_on") or {}) <= set(SERVICES), name
    assert PEERPULSE["topics"]["command"] == ["topics", "create"]
    for name in ("relay", "ingest", "worker", "alerts", "api"):
        condition = PEERPULSE[name]["depends_on"]["topics"]["condition"]
        assert condition == "service_completed_successfully", name


def test_mounted_observability_files_exist():
    for service in ("prometheus", "grafana"):
        for volume in SERVICES[service]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{service} mounts missing {source}"


def test_prometheus_scrapes_every_long_running_service_on_the_port_compose_gives_it() -> None:
    from infra.cli import SERVICES_WITH_METRICS

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prom = yaml.safe_load((ROOT / "infra/observability/prometheus/prometheus.yml").read_text())
    env = compose["x-peerpulse"]["environment"]
    port = env["PEERPULSE_METRICS_PORT"]
    assert env["PEERPULSE_METRICS_HOST"] == "0.0.0.0"
    targets = {
        t for job in prom["scrape_configs"] for c in job["static_configs"] for t in c["targets"]
    }
    for service in SERVICES_WITH_METRICS:
        assert service in compose["services"], service
        assert f"{service}:{port}" in targets, service

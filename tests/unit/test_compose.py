"""docker-compose.yml stays runnable: it is valid compose, pins every image, runs real commands,
and every service has an init process, a healthcheck, and alerting that goes somewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from peerpulse.cli import build_parser

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
    for service in ("prometheus", "grafana", "alertmanager"):
        for volume in SERVICES[service]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{service} mounts missing {source}"


def test_prometheus_scrapes_every_long_running_service_on_the_port_compose_gives_it() -> None:
    from peerpulse.cli import SERVICES_WITH_METRICS

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prom = yaml.safe_load((ROOT / "infra/observability/prometheus/prometheus.yml").read_text())
    env = compose["x-peerpulse"]["environment"]
    port = env["PEERPULSE_METRICS_PORT"]
    assert env["PEERPULSE_METRICS_HOST"] == "0.0.0.0"
    targets = {
        t for job in prom["scrape_configs"] for c in job.get("static_configs", ())
        for t in c["targets"]
    } | {
        f"{name}:{c['port']}" for job in prom["scrape_configs"]
        for c in job.get("dns_sd_configs", ()) for name in c["names"]
    }  # fmt: skip
    for service in SERVICES_WITH_METRICS:
        assert service in compose["services"], service
        assert f"{service}:{port}" in targets, service


# -- the compose spec, init, healthchecks and Alertmanager ------------------------------
ONE_SHOT = {name for name, s in SERVICES.items() if s.get("restart") == "on-failure"}


def test_compose_file_is_valid_against_the_compose_spec_schema():
    import jsonschema_rs

    schema = json.loads((ROOT / "tests/unit/schemas/compose-spec.json").read_text())
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
              for e in jsonschema_rs.validator_for(schema).iter_errors(COMPOSE)]  # fmt: skip
    assert not errors, errors


def test_the_schema_check_catches_a_misspelt_healthcheck():
    import jsonschema_rs

    schema = json.loads((ROOT / "tests/unit/schemas/compose-spec.json").read_text())
    broken = {**COMPOSE, "services": {**SERVICES, "api": {**SERVICES["api"], "healthcheck": {
        "tests": ["CMD", "true"]}}}}  # fmt: skip
    assert not jsonschema_rs.validator_for(schema).is_valid(broken)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_runs_under_an_init_process(name):
    assert SERVICES[name].get("init") is True, f"{name}: no init process (init: true)"


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_SHOT))
def test_every_long_running_service_has_a_healthcheck(name):
    check = SERVICES[name].get("healthcheck") or {}
    assert not check.get("disable"), name
    assert check.get("test", [None])[0] in ("CMD", "CMD-SHELL"), f"{name}: no healthcheck"
    assert check.get("interval") and check.get("retries"), name


def test_one_shot_services_declare_that_they_have_no_healthcheck():
    """The image's own HEALTHCHECK (an HTTP probe) must not judge a job that exits."""
    assert {"topics"} == ONE_SHOT
    for name in ONE_SHOT:
        assert SERVICES[name]["healthcheck"] == {"disable": True}, name


@pytest.mark.parametrize("name", sorted(PEERPULSE))
def test_peerpulse_healthchecks_probe_the_port_the_service_serves(name):
    probe = " ".join(SERVICES[name].get("healthcheck", {}).get("test", []))
    env = SERVICES[name]["environment"]
    if name == "api":
        assert "127.0.0.1:8400/readyz" in probe and "8400" in PEERPULSE[name]["command"]
    elif name not in ONE_SHOT:
        assert "os.environ['PEERPULSE_METRICS_PORT']" in probe and env["PEERPULSE_METRICS_PORT"]


def test_prometheus_fires_into_the_compose_alertmanager():
    prom = yaml.safe_load((ROOT / "infra/observability/prometheus/prometheus.yml").read_text())
    [manager] = prom["alerting"]["alertmanagers"]
    [target] = [t for c in manager["static_configs"] for t in c["targets"]]
    host, port = target.split(":")
    assert SERVICES[host]["image"].startswith("prom/alertmanager:")
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in SERVICES[host]["command"]
    assert "./infra/observability/alertmanager:/etc/alertmanager:ro" in SERVICES[host]["volumes"]
    assert (ROOT / "infra/observability/alertmanager/alertmanager.yml").is_file()
    assert port == "9093"


def test_the_alert_router_posts_its_ops_copy_to_the_same_alertmanager(monkeypatch):
    from infra.settings import Settings

    prom = yaml.safe_load((ROOT / "infra/observability/prometheus/prometheus.yml").read_text())
    target = prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0]
    for key, value in SERVICES["alerts"]["environment"].items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # read the way `peerpulse alerts run` reads it
    assert settings.alerts.alertmanager_url == f"http://{target}"
    assert settings.store == "postgres"  # the anchor's environment is still merged in


def test_every_scrape_target_is_a_compose_service_on_a_port_it_serves():
    prom = yaml.safe_load((ROOT / "infra/observability/prometheus/prometheus.yml").read_text())
    metrics_port = COMPOSE["x-peerpulse"]["environment"]["PEERPULSE_METRICS_PORT"]
    for job in prom["scrape_configs"]:
        for config in job["static_configs"]:
            for target in config["targets"]:
                host, port = target.split(":")
                if host == "localhost":
                    assert job["job_name"] == "prometheus"
                    continue
                assert host in SERVICES, f"{job['job_name']}: {host} is not a compose service"
                assert config["labels"]["service"] == host, target
                served = {"api": "8400", "alertmanager": "9093"}.get(host, metrics_port)
                assert port == served, target


def test_the_alert_router_runs_replicas_that_share_the_work_on_postgres():
    """Decision 0023: on PostgreSQL ``alerts run`` takes no singleton lock (routers claim
    notices instead), so replicas run side by side instead of crash-looping."""
    alerts = PEERPULSE["alerts"]
    assert alerts["deploy"]["replicas"] >= 2
    assert alerts["environment"]["PEERPULSE_STORE"] == "postgres"
    assert alerts["command"] == ["alerts", "run"]


def test_every_replicated_role_is_scraped_replica_by_replica():
    """A static target names one replica; a service with ``deploy.replicas`` must be found
    by DNS (every address the compose name resolves to) and labelled with its service."""
    prom = yaml.safe_load((ROOT / "infra/observability/prometheus/prometheus.yml").read_text())
    metrics_port = int(COMPOSE["x-peerpulse"]["environment"]["PEERPULSE_METRICS_PORT"])
    replicated = {name for name, s in SERVICES.items() if s.get("deploy", {}).get("replicas")}
    assert {"relay", "alerts", "ingest", "worker"} <= replicated
    found = set()
    for job in prom["scrape_configs"]:
        for sd in job.get("dns_sd_configs", ()):
            assert sd["port"] == metrics_port
            for name in sd["names"]:
                assert name in SERVICES, name
                rules = job["relabel_configs"]
                [rule] = [r for r in rules if re.fullmatch(r["regex"], name)]
                assert rule["replacement"] == name
                found.add(name)
        for config in job.get("static_configs", ()):
            for target in config["targets"]:
                assert target.split(":")[0] not in replicated, f"{target}: one replica only"
    assert replicated - {"api"} <= found


def test_the_projection_worker_runs_replicas_that_share_the_topic_by_partition():
    """Decision 0025: workers share the events topic (a shared lock, fenced claims), so
    ``--scale worker=3`` runs side by side; more replicas than partitions would idle."""
    worker = SERVICES["worker"]
    assert worker["command"] == ["worker"]
    replicas = worker["deploy"]["replicas"]
    assert 2 <= replicas <= int(COMPOSE["x-peerpulse"]["environment"]["PEERPULSE_TOPIC_PARTITIONS"])

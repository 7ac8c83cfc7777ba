"""Observability assets agree with the metrics catalogue and the scrape config; promtool
and amtool accept the rules, the Prometheus config and the Alertmanager config."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from infra import metrics
from tests.unit.observability_kit import (
    DASHBOARD,
    OBS,
    PROM,
    RULES,
    dashboard_exprs,
    promtool_path,
    tool,
)

METRIC = re.compile(r"\b(peerpulse_[a-z0-9_]+)")
RECORDED = re.compile(r"\b(peerpulse:[a-z0-9_:]+)")
UNBOUNDED_LABELS = {"member", "member_id", "group", "group_id", "session_id", "alert_id", "id"}
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",),
            "histogram": ("_bucket", "_sum", "_count", "_created"),
            "summary": ("", "_sum", "_count", "_created")}  # fmt: skip


def _catalogue() -> list[MetricWrapperBase]:
    return [m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)]


def _series_names() -> set[str]:
    return {m._name + suffix for m in _catalogue() for suffix in SUFFIXES[m._type]}


def _rule_exprs() -> list[str]:
    return [rule["expr"] for group in RULES["groups"] for rule in group["rules"]]


def test_promtool_checks_the_rules_and_the_config():
    promtool = promtool_path()
    for args in (["check", "rules", "rules.yml"], ["check", "config", "prometheus.yml"]):
        result = subprocess.run([promtool, *args], cwd=PROM, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_accepts_the_alertmanager_config():
    amtool = tool("amtool", "prometheus-alertmanager")
    result = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=OBS / "alertmanager",
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _routed_to(*labels: str) -> str:
    result = subprocess.run(
        [tool("amtool", "prometheus-alertmanager"), "config", "routes", "test",
         "--config.file=alertmanager.yml", *labels],
        cwd=OBS / "alertmanager", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_alertmanager_routes_rule_alerts_to_operations_and_group_alerts_per_program():
    from consumers.alerts.channels.alertmanager import ALERTNAMES

    for name in {rule["alert"] for g in RULES["groups"] for rule in g["rules"] if "alert" in rule}:
        assert _routed_to(f"alertname={name}", "service=clock") == "operations", name
    for name in {*ALERTNAMES.values(), "PeerpulseAlert"}:  # what the alert router posts
        assert _routed_to(f"alertname={name}", "program=p1") == "programs-office", name


def test_rule_selectors_name_real_scrape_jobs_and_services():
    """A rule about ``job="peerpulse-relay"`` would never fire if no such job is scraped."""
    prom = yaml.safe_load((PROM / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in prom["scrape_configs"]}
    services = {c["labels"]["service"] for job in prom["scrape_configs"]
                for c in job.get("static_configs", ())} | {
        r["replacement"] for job in prom["scrape_configs"]
        for r in job.get("relabel_configs", ()) if r.get("target_label") == "service"
    }  # fmt: skip
    text = "\n".join(_rule_exprs())
    for label, real in (("job", jobs), ("service", services)):
        for op, value in re.findall(rf'\b{label}\s*(=~|=)\s*"([^"]+)"', text):
            matched = {v for v in real if re.fullmatch(value, v)} if op == "=~" else {value} & real
            assert matched, f'{label}{op}"{value}" matches no scrape target'
    assert {"relay", "ingest", "worker", "alerts", "clock", "api"} <= services


def test_promtool_rule_unit_tests_pass():
    result = subprocess.run([promtool_path(), "test", "rules", "rules_test.yml"], cwd=PROM,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_metric_used_exists_in_the_catalogue(source):
    exprs = _rule_exprs() if source == "rules" else dashboard_exprs()
    used = {name for expr in exprs for name in METRIC.findall(expr)}
    assert used, "no peerpulse metric used at all"
    assert used <= _series_names(), f"not in infra/metrics.py: {sorted(used - _series_names())}"


def test_every_recorded_series_used_is_defined_by_a_rule():
    defined = {rule["record"] for g in RULES["groups"] for rule in g["rules"] if "record" in rule}
    used = {n for expr in _rule_exprs() + dashboard_exprs() for n in RECORDED.findall(expr)}
    assert used <= defined, sorted(used - defined)


def test_rules_cover_lag_dead_letters_and_groups_at_risk():
    text = "\n".join(_rule_exprs())
    for name in ("peerpulse_consumer_lag_messages", "peerpulse_relay_lag_seconds",
                 "peerpulse_projection_lag_seconds", "peerpulse_ingest_rejections_total",
                 "peerpulse_projection_groups", "peerpulse_clock_last_check_timestamp_seconds",
                 "up == 0", "absent("):  # fmt: skip
        assert name in text


def test_every_dashboard_panel_has_a_unit_and_the_datasource_variable():
    panels = [p for p in DASHBOARD["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    for p in panels:
        assert p["fieldConfig"]["defaults"].get("unit"), p["title"]
        for ref in [p["datasource"], *(t["datasource"] for t in p["targets"])]:
            assert ref == {"type": "prometheus", "uid": "${datasource}"}, p["title"]


def test_catalogue_metrics_have_units_help_and_bounded_labels():
    names = [m._name for m in _catalogue()]
    assert len(names) == len(set(names)), "a metric is declared twice"
    for m in _catalogue():
        assert m._name.startswith("peerpulse_"), m._name
        assert m._documentation.strip(), m._name
        assert not set(m._labelnames) & UNBOUNDED_LABELS, (m._name, m._labelnames)
        if m._type in ("histogram", "summary"):
            assert m._name.endswith("_seconds") or m._name.endswith("_bytes"), m._name


def test_the_readme_names_every_alert_with_its_severity():
    readme = (OBS.parents[1] / "README.md").read_text()
    section = readme[readme.index("**Production: what to alert on**") :]
    section = section[: section.index("\n\n")]
    page, warn = section.split("warn on", 1)
    for group in RULES["groups"]:
        for rule in (r for r in group["rules"] if "alert" in r):
            critical = rule["labels"]["severity"] == "critical"
            assert f"`{rule['alert']}`" in (page if critical else warn), rule["alert"]

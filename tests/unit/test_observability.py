"""Observability assets agree with the metrics catalogue, and promtool accepts the rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from infra import metrics
from tests.conftest import server_missing

OBS = Path(__file__).resolve().parents[2] / "infra" / "observability"
PROM = OBS / "prometheus"
DASHBOARD = json.loads((OBS / "grafana" / "peerpulse.json").read_text())
RULES = yaml.safe_load((PROM / "rules.yml").read_text())
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


def _dashboard_exprs() -> list[str]:
    return [t["expr"] for p in DASHBOARD["panels"] for t in p.get("targets", [])]


def _promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        server_missing("promtool (apt-get install prometheus)")
    return found


def test_promtool_checks_the_rules_and_the_config():
    promtool = _promtool()
    for args in (["check", "rules", "rules.yml"], ["check", "config", "prometheus.yml"]):
        result = subprocess.run([promtool, *args], cwd=PROM, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass():
    result = subprocess.run([_promtool(), "test", "rules", "rules_test.yml"], cwd=PROM,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_metric_used_exists_in_the_catalogue(source):
    exprs = _rule_exprs() if source == "rules" else _dashboard_exprs()
    used = {name for expr in exprs for name in METRIC.findall(expr)}
    assert used, "no peerpulse metric used at all"
    assert used <= _series_names(), f"not in infra/metrics.py: {sorted(used - _series_names())}"


def test_every_recorded_series_used_is_defined_by_a_rule():
    defined = {rule["record"] for g in RULES["groups"] for rule in g["rules"] if "record" in rule}
    used = {n for expr in _rule_exprs() + _dashboard_exprs() for n in RECORDED.findall(expr)}
    assert used <= defined, sorted(used - defined)


def test_rules_cover_lag_dead_letters_and_groups_at_risk():
    text = "\n".join(_rule_exprs())
    for name in ("peerpulse_consumer_lag_messages", "peerpulse_relay_lag_seconds",
                 "peerpulse_projection_lag_seconds", "peerpulse_ingest_rejections_total",
                 "peerpulse_projection_groups"):  # fmt: skip
        assert name in text


def test_every_dashboard_panel_has_a_unit_and_the_provisioned_datasource():
    panels = [p for p in DASHBOARD["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    for p in panels:
        assert p["fieldConfig"]["defaults"].get("unit"), p["title"]
        assert p["datasource"]["uid"] == "prometheus", p["title"]
    datasource = yaml.safe_load((OBS / "grafana/provisioning/datasources/prometheus.yml")
                                .read_text())["datasources"][0]  # fmt: skip
    assert datasource["uid"] == "prometheus"


def test_catalogue_metrics_have_units_help_and_bounded_labels():
    names = [m._name for m in _catalogue()]
    assert len(names) == len(set(names)), "a metric is declared twice"
    for m in _catalogue():
        assert m._name.startswith("peerpulse_"), m._name
        assert m._documentation.strip(), m._name
        assert not set(m._labelnames) & UNBOUNDED_LABELS, (m._name, m._labelnames)
        if m._type in ("histogram", "summary"):
            assert m._name.endswith("_seconds") or m._name.endswith("_bytes"), m._name

"""The Grafana dashboard imports into any Grafana: a datasource input and variable instead of
a hard-coded uid, a program variable, program names (not UUIDs) in legends, valid PromQL."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.unit.observability_kit import DASHBOARD, OBS, dashboard_exprs, promtool_path

VARIABLE = {"type": "prometheus", "uid": "${datasource}"}
PROGRAM_SERIES = re.compile(r"peerpulse:groups_at_risk:\w+|peerpulse_projection_groups\b")


def _datasource_refs(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every ``datasource`` value anywhere in the dashboard, with where it is."""
    if isinstance(node, list):
        return [r for i, item in enumerate(node) for r in _datasource_refs(item, f"{path}/{i}")]
    if not isinstance(node, dict):
        return []
    found = [(f"{path}/datasource", node["datasource"])] if "datasource" in node else []
    return found + [r for k, v in node.items() for r in _datasource_refs(v, f"{path}/{k}")]


def _variables() -> dict[str, dict]:
    return {v["name"]: v for v in DASHBOARD["templating"]["list"]}


def test_the_dashboard_asks_for_its_prometheus_on_import():
    [source] = DASHBOARD["__inputs"]
    assert (source["name"], source["type"], source["pluginId"]) == (
        "DS_PROMETHEUS", "datasource", "prometheus")  # fmt: skip
    datasource = _variables()["datasource"]
    assert (datasource["type"], datasource["query"]) == ("datasource", "prometheus")
    assert datasource["current"]["value"] == "${DS_PROMETHEUS}"


def test_every_datasource_reference_goes_through_the_variable():
    refs = _datasource_refs(DASHBOARD["panels"]) + _datasource_refs(DASHBOARD["templating"])
    assert len(refs) > 20
    for where, ref in refs:
        assert ref == VARIABLE, f"{where}: {ref}"
    assert '"uid": "prometheus"' not in json.dumps(DASHBOARD)


def test_a_grafana_without_the_import_step_still_finds_a_default_prometheus():
    """Provisioned (compose) Grafana skips ``__inputs``: the variable falls back to the default."""
    provisioned = yaml.safe_load((OBS / "grafana/provisioning/datasources/prometheus.yml")
                                 .read_text())["datasources"]  # fmt: skip
    assert [d["type"] for d in provisioned if d.get("isDefault")] == ["prometheus"]


def test_a_program_variable_lists_program_names():
    program = _variables()["program"]
    assert program["datasource"] == VARIABLE
    assert program["definition"] == "label_values(peerpulse_program_info, program_name)"
    assert program["multi"] and program["includeAll"] and program["allValue"] == ".*"


def test_program_panels_show_names_and_follow_the_program_variable():
    program_targets = [t for p in DASHBOARD["panels"] for t in p.get("targets", [])
                       if PROGRAM_SERIES.search(t["expr"])]  # fmt: skip
    assert len(program_targets) >= 3
    for t in program_targets:
        assert 'peerpulse_program_info{program_name=~"$program"}' in t["expr"], t["expr"]
        assert "{{program}}" not in t.get("legendFormat", ""), t["expr"]
    legends = {t.get("legendFormat") for t in program_targets}
    assert "{{program_name}}" in legends


def test_every_dashboard_query_is_valid_promql(tmp_path: Path):
    exprs = [e.replace("$program", ".*") for e in dashboard_exprs() if "label_values" not in e]
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": e} for i, e in enumerate(exprs)]}]}  # fmt: skip
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    result = subprocess.run([promtool_path(), "check", "rules", "dashboard.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr

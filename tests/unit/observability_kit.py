"""Shared by the observability tests: where the configs live, their parsed contents, the tools."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.conftest import server_missing

OBS = Path(__file__).resolve().parents[2] / "infra" / "observability"
PROM = OBS / "prometheus"
DASHBOARD = json.loads((OBS / "grafana" / "peerpulse.json").read_text())
RULES = yaml.safe_load((PROM / "rules.yml").read_text())


def dashboard_exprs() -> list[str]:
    """Every PromQL expression of the dashboard: panel targets and query variables."""
    queries = [v["definition"] for v in DASHBOARD["templating"]["list"] if v["type"] == "query"]
    return [t["expr"] for p in DASHBOARD["panels"] for t in p.get("targets", [])] + queries


def tool(name: str, package: str) -> str:
    """The path of a Debian-packaged tool; missing: skip locally, fail under CI."""
    found = shutil.which(name)
    if not found:
        server_missing(f"{name} (apt-get install {package})")
    return found


def promtool_path() -> str:
    return tool("promtool", "prometheus")

"""The production Alertmanager config, run by a real Alertmanager: peerpulse's own alert
router posts into it and reaches the programs office, the Prometheus rules' alerts reach
operations, and a role that is down silences the alerts it explains."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from consumers.alerts.channels.alertmanager import AlertmanagerChannel
from consumers.alerts.model import Alert
from tests.conftest import server_missing
from tests.fixtures.alertmanager import _wait_ready
from tests.unit.alerts.factories import GROUP, PROGRAM, routing

CONFIG = Path(__file__).resolve().parents[2] / "infra/observability/alertmanager/alertmanager.yml"


@pytest.fixture
def production_alertmanager(tmp_path: Path) -> Iterator[str]:
    """Debian's Alertmanager with infra/observability/alertmanager/alertmanager.yml as is."""
    from infra.broker import free_port

    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        server_missing("prometheus-alertmanager binary (apt-get install prometheus-alertmanager)")
    url = f"http://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [binary, f"--config.file={CONFIG}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address={url.removeprefix('http://')}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr.log").open("wb"),
    )  # fmt: skip
    try:
        _wait_ready(url, proc, tmp_path)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _held(url: str, alertname: str) -> dict:
    [alert] = [a for a in httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
               if a["labels"]["alertname"] == alertname]  # fmt: skip
    return alert


def _post_rule_alert(url: str, **labels: str) -> None:
    """What Prometheus sends when a rule in rules.yml fires."""
    httpx.post(f"{url}/api/v2/alerts", json=[{"labels": labels}], timeout=5).raise_for_status()


def test_the_alert_routers_copy_reaches_the_programs_office(production_alertmanager):
    now = datetime.now(UTC)
    at_risk = Alert(alert_id="a-1", alert_key=f"risk:{GROUP}", kind="group-at-risk",
                    program_id=PROGRAM, group_id=GROUP, member_id=None, status="delivered",
                    raised_at=now, updated_at=now)  # fmt: skip
    with httpx.Client(timeout=5) as client:
        channel = AlertmanagerChannel(client, production_alertmanager, timedelta(hours=1))
        channel.push(at_risk, routing(), now, "http://peerpulse.example/alerts/a-1")
    held = _held(production_alertmanager, "PeerpulseGroupAtRisk")
    assert held["labels"]["program"] == PROGRAM
    assert [r["name"] for r in held["receivers"]] == ["programs-office"]


def test_a_group_episode_is_one_alert_in_alertmanager_with_severity_by_actionability(
    production_alertmanager,
):
    now = datetime.now(UTC)
    episode = Alert(alert_id="a-2", alert_key=f"health:{GROUP}", kind="group-at-risk",
                    program_id=PROGRAM, group_id=GROUP, member_id=None, status="delivered",
                    raised_at=now, updated_at=now)  # fmt: skip
    with httpx.Client(timeout=5) as client:
        channel = AlertmanagerChannel(client, production_alertmanager, timedelta(hours=1))
        channel.push(episode, routing(), now, "http://peerpulse.example/alerts/a-2")
        assert _held(production_alertmanager, "PeerpulseGroupAtRisk")["labels"]["severity"] == (
            "critical"
        )
        for kind, name, severity in (
            ("group-dormant", "PeerpulseGroupDormant", "warning"),
            ("group-watch", "PeerpulseGroupWatch", "info"),
        ):
            later = datetime.now(UTC)
            link = "http://peerpulse.example/alerts/a-2"
            channel.push(replace(episode, kind=kind, updated_at=later), routing(), later, link)
            firing = [a for a in httpx.get(f"{production_alertmanager}/api/v2/alerts",
                                           params={"active": "true"}, timeout=5).json()
                      if a["labels"].get("alert_id") == "a-2"
                      and a["status"]["state"] == "active"]  # fmt: skip
            assert [(a["labels"]["alertname"], a["labels"]["severity"]) for a in firing] == [
                (name, severity)
            ], "one alert per episode: the earlier kind is resolved"
            assert [r["name"] for r in firing[0]["receivers"]] == ["programs-office"]


def test_rule_alerts_reach_operations_and_a_down_role_suppresses_what_it_explains(
    production_alertmanager,
):
    _post_rule_alert(production_alertmanager, alertname="PeerpulseClockStopped",
                     service="clock", severity="critical")  # fmt: skip
    stopped = _held(production_alertmanager, "PeerpulseClockStopped")
    assert [r["name"] for r in stopped["receivers"]] == ["operations"]
    _post_rule_alert(production_alertmanager, alertname="PeerpulseTargetDown", service="relay",
                     job="peerpulse-services", severity="critical")  # fmt: skip
    assert _held(production_alertmanager, "PeerpulseClockStopped")["status"]["state"] == "active"

    _post_rule_alert(production_alertmanager, alertname="PeerpulseTargetDown", service="clock",
                     job="peerpulse-services", severity="critical")  # fmt: skip
    stopped = _held(production_alertmanager, "PeerpulseClockStopped")
    assert stopped["status"]["state"] == "suppressed"
    assert stopped["status"]["inhibitedBy"], stopped["status"]

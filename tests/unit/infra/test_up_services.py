"""What ``peerpulse up`` and ``peerpulse demo`` start, and with which environment."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from consumers.alerts.config import policy_config
from consumers.alerts.policy import PolicyConfig
from consumers.alerts.timing import after_quiet_hours
from infra.settings import Settings
from peerpulse.commands.up import services


def _env(quiet_hours: bool) -> dict[str, dict[str, str]]:
    settings = Settings(_env_file=None, data_dir=Path("/nonexistent"))
    listed = services(settings, clock=False, ingest=False, quiet_hours=quiet_hours)
    return {s.name: s.env for s in listed}


def _policy_from(env: dict[str, str], monkeypatch) -> PolicyConfig:
    for name, value in env.items():
        if name.startswith("PEERPULSE_ALERTS_"):
            monkeypatch.setenv(name, value)
    return policy_config(Settings(_env_file=None).alerts)


def test_up_keeps_quiet_hours(monkeypatch):
    alerts = _policy_from(_env(quiet_hours=True)["alerts"], monkeypatch)
    night = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert after_quiet_hours(night, "UTC", alerts.quiet) > night


def test_the_demo_delivers_at_any_hour_and_only_the_router_is_told(monkeypatch):
    envs = _env(quiet_hours=False)
    alerts = _policy_from(envs["alerts"], monkeypatch)
    for hour in range(24):
        now = datetime(2026, 12, 1, hour, 30, tzinfo=UTC)
        assert after_quiet_hours(now, "Europe/Berlin", alerts.quiet) == now, hour
    others = [name for name, env in envs.items() if "PEERPULSE_ALERTS_QUIET_START" in env]
    assert others == ["alerts"]


def test_up_workers_n_runs_n_projection_workers_paused_together():
    settings = Settings(_env_file=None, data_dir=Path("/nonexistent"))
    listed = services(settings, clock=False, ingest=False, workers=3)
    workers = [s for s in listed if s.argv[-1] == "worker"]
    assert [s.name for s in workers] == ["worker", "worker-2", "worker-3"]
    assert {s.pauses_as for s in workers} == {"worker"}
    assert [
        s.name for s in services(settings, clock=False, ingest=False) if s.argv[-1] == "worker"
    ] == ["worker"]


def test_up_refuses_a_worker_count_outside_1_to_the_most_with_one_line(capsys):
    import pytest

    from peerpulse.cli import build_parser

    for bad in ("0", "x", "13"):
        with pytest.raises(SystemExit) as stop:
            build_parser().parse_args(["up", "--workers", bad])
        assert stop.value.code == 2
        assert "expected a whole number from 1 to 12" in capsys.readouterr().err
    assert build_parser().parse_args(["up", "--workers", "2"]).workers == 2

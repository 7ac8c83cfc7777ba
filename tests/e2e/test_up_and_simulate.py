"""The main job end to end: ``peerpulse up``, a small simulated program, then what a
person sees — the API's groups and reasons, and lapse warnings in the coordinator's inbox.

Every service runs as its own process exactly as ``peerpulse up`` starts it (embedded
Tansu broker, SQLite), and the simulation travels through the public ingest contract.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest

from domain.ids import derive_id
from infra.broker import free_port
from infra.mailsink import read_index
from infra.settings import Settings
from peerpulse.commands import demo
from peerpulse.commands.demo import close_the_loop, demo_settings, funnel_rows, replay_history

pytestmark = [pytest.mark.slow, pytest.mark.kafka]


@pytest.fixture
def running(tmp_path: Path):
    api_port = free_port()
    base = Settings(
        _env_file=None, data_dir=tmp_path / "pp", broker_port=free_port(),
        api_port=api_port, smtp_port=free_port(), public_url=f"http://127.0.0.1:{api_port}",
    )  # fmt: skip
    settings = demo_settings(base)
    log = io.StringIO()
    supervisor = demo.start(settings, out=log)  # exactly the services `make demo` runs
    try:
        yield settings, supervisor
    finally:
        supervisor.stop()
        (tmp_path / "services.log").write_text(log.getvalue())


def _token(settings: Settings) -> str:
    from api.auth.store import TokenStore

    return TokenStore(settings).create("e2e", ["read"])[1]


def test_a_simulated_program_reaches_the_dashboard_api_and_the_coordinators_inbox(running):
    settings, supervisor = running
    world = replay_history(settings, supervisor, seed=3, groups=16, weeks=12, timeout=180)
    sim = world.sim

    api = httpx.Client(base_url=settings.public_url,
                       headers={"Authorization": f"Bearer {_token(settings)}"})  # fmt: skip
    page = api.get("/v1/groups", params={"limit": 200}).json()
    assert page["total"] == 16
    level = {g["group_id"]: g["level"] for g in page["items"]}

    def group_id(truth) -> str:
        return str(derive_id("group", "demo", truth.group))

    dead = [t for t in sim.truth if t.dies and t.dormant_at and t.dormant_at <= world.cut]
    steady = [t for t in sim.truth if t.fate == "steady"]
    assert dead and steady, "the simulation should hold both fates"
    flagged = [t for t in dead if level[group_id(t)] in ("at_risk", "dormant")]
    assert len(flagged) >= 0.8 * len(dead), {t.group: level[group_id(t)] for t in dead}
    assert all(level[group_id(t)] != "dormant" for t in steady)

    detail = api.get(f"/v1/groups/{group_id(flagged[0])}").json()
    reasons = detail["group"]["reasons"]
    assert reasons and all(r["text"] for r in reasons)
    assert detail["sessions"] and detail["level_history"]

    # the coordinator's loop: they act on the flags through the API, the world answers
    at_risk = {t.group for t in sim.truth if level[group_id(t)] == "at_risk"}
    loop = close_the_loop(settings, supervisor, world, seed=3, timeout=180)
    assert set(loop.flagged) == at_risk and loop.acts, "someone should be at risk to reach"
    assert {a.group for a in loop.acts} <= at_risk
    (funnel,) = _funnel(settings)
    assert funnel["flagged"] >= len(at_risk)
    assert funnel["flagged"] >= funnel["reached_out"] >= funnel["reached_out_recovered"]
    assert 0 < funnel["reached_out"] <= len(loop.acts)
    assert funnel["recovered"] >= funnel["reached_out_recovered"]
    outcomes = ("recovered", "recovered_late", "went_dormant", "ended", "still_at_risk")
    assert sum(funnel[o] for o in outcomes) == funnel["flagged"]
    acted = {group_id(_truth(sim, a.group)): a.kind for a in loop.acts}
    reached = _query(settings, "SELECT group_id, first_intervention_kind FROM flag_episodes "
                     "WHERE first_intervention_at IS NOT NULL")  # fmt: skip
    assert len(reached) == funnel["reached_out"]
    assert all(acted.get(gid) == kind for gid, kind in reached), (reached, acted)
    # the groups nobody's continuation touched kept their fate: still seen at the end
    page = api.get("/v1/groups", params={"limit": 200}).json()
    level = {g["group_id"]: g["level"] for g in page["items"]}
    later = [t for t in sim.truth if t.group not in loop.flagged and t.dies and t.dormant_at
             and world.cut < t.dormant_at <= sim.end]  # fmt: skip
    seen = [t for t in later if level[group_id(t)] in ("at_risk", "dormant")]
    assert later and len(seen) >= 0.8 * len(later), {t.group: level[group_id(t)] for t in later}
    assert all(level[group_id(t)] != "dormant" for t in steady)

    supervisor.log("e2e", "waiting for the alert router to deliver")
    mail = _wait_for_mail(settings)
    assert all(m["message_id"].endswith("@peerpulse>") for m in mail)
    names = {f"Circle {t.group}" for t in flagged + seen}
    assert any(any(name in m["subject"] for name in names) for m in mail), mail

    # the operations team's question next: how would the policy have done on this history?
    backtest = _backtest_demo(settings.data_dir)
    assert backtest.returncode == 0, backtest.stderr
    assert "recall: standing flag before dormancy" in backtest.stdout
    labels = re.search(r"hindsight label:.*\bdormant (\d+)", backtest.stdout)
    assert labels and int(labels[1]) >= 0.8 * len(dead), backtest.stdout  # the truth, seen after


def _funnel(settings: Settings) -> list[dict]:
    from peerpulse.build import build

    readmodel = build(settings).open_read_model()
    try:
        return funnel_rows(readmodel)
    finally:
        readmodel.close()


def _query(settings: Settings, sql: str) -> list[tuple]:
    from peerpulse.build import build

    readmodel = build(settings).open_read_model()
    try:
        return readmodel.query(sql)
    finally:
        readmodel.close()


def _truth(sim, group: str):
    return next(t for t in sim.truth if t.group == group)


def _backtest_demo(data_dir: Path):
    """``peerpulse backtest`` as a user runs it after ``make demo`` (same data dir)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PEERPULSE_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "peerpulse", "backtest", "--no-progress"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def _wait_for_mail(settings: Settings, timeout: float = 30.0) -> list[dict]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mail = read_index(settings.data_dir / "mail")
        if mail:
            time.sleep(2)  # let the rest of the burst land
            return read_index(settings.data_dir / "mail")
        time.sleep(0.5)
    pytest.fail("no alert e-mail reached the mail sink")

"""``peerpulse demo`` on a data dir in use: the earlier data is moved aside, never wiped, and
the demo's own data is where every other command looks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.auth.store import TokenStore
from infra.broker import free_port
from infra.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_a_demo_on_a_used_data_dir_moves_the_old_data_aside(tmp_path: Path) -> None:
    data_dir = tmp_path / "pp"
    earlier, _ = TokenStore(Settings(_env_file=None, data_dir=data_dir)).create("ana", ["read"])
    ports = {"BROKER_PORT": free_port(), "API_PORT": free_port(), "SMTP_PORT": free_port()}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PEERPULSE_")}
    env = {**clean, "PYTHONPATH": str(ROOT), "PEERPULSE_DATA_DIR": str(data_dir),
           **{f"PEERPULSE_{name}": str(port) for name, port in ports.items()}}  # fmt: skip
    demo = subprocess.run(
        [sys.executable, "-m", "peerpulse", "demo", "--groups", "2", "--weeks", "3", "--exit",
         "--timeout", "150"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-2000:]
    (archive,) = data_dir.glob("previous-*")
    assert demo.stdout.splitlines()[0] == (
        f"peerpulse demo: demo data in {data_dir}/; the previous data there was moved to "
        f"{archive}/ (--fresh deletes it instead)"
    )
    kept = TokenStore(Settings(_env_file=None, data_dir=archive)).list()
    assert [t.id for t in kept] == [earlier.id]  # the earlier token survived, aside

    listed = subprocess.run(
        [sys.executable, "-m", "peerpulse", "tokens", "list"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "\tdemo\t" in listed.stdout and earlier.id not in listed.stdout
    assert (data_dir / "truth.json").exists() and (data_dir / "eventstore.sqlite").exists()

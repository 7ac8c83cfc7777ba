"""``peerpulse rebuild`` beside a running ``peerpulse up``: up pauses its worker for the
rebuild and starts it again afterwards, instead of the rebuild refusing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from infra.broker import free_port
from peerpulse import pause

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate, lines: list[str], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}:\n" + "".join(lines[-30:])
        time.sleep(0.2)


def _worker_lock_holder(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "locks" / "worker.lock").read_text().strip())
    except (OSError, ValueError):
        return None


def _owners(data_dir: Path) -> dict[int, str]:
    from infra.settings import Settings
    from infra.topics import EVENTS
    from projections.readmodel.store import ReadModel

    model = ReadModel(Settings(_env_file=None, data_dir=data_dir)).open()
    try:
        return model.owners(EVENTS.name)
    finally:
        model.close()


def _pids(owners: dict[int, str]) -> set[int]:
    from api.status_reader import owner_holder

    return {owner_holder(owner).pid for owner in owners.values()}


@pytest.mark.parametrize("workers", [1, 2])
def test_rebuild_under_up_pauses_and_restarts_the_worker(tmp_path: Path, workers: int) -> None:
    """With ``--workers 2`` both workers share the events topic (each claims some of its
    partitions), both are paused for the rebuild, and both share it again afterwards."""
    data_dir = tmp_path / "pp"
    ports = {"BROKER_PORT": free_port(), "API_PORT": free_port(), "SMTP_PORT": free_port()}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PEERPULSE_")}
    env = {**clean, "PYTHONPATH": str(ROOT), "PEERPULSE_DATA_DIR": str(data_dir),
           **{f"PEERPULSE_{name}": str(port) for name, port in ports.items()}}  # fmt: skip
    up = subprocess.Popen(
        [sys.executable, "-m", "peerpulse", "up", "--no-clock", "--workers", str(workers)],
        cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(up.stdout or []), daemon=True).start()
    try:
        _wait(lambda: any("peerpulse is up" in x for x in log), log, "up never came up", 180)
        assert pause.running_supervisor(data_dir) == up.pid
        first_worker = _worker_lock_holder(data_dir)
        assert first_worker and first_worker != up.pid  # up's worker holds the lock
        _wait(lambda: len(_pids(_owners(data_dir))) == workers, log, "partitions not shared", 60)
        assert all(_alive(pid) for pid in _pids(_owners(data_dir)))

        rebuild = subprocess.run(
            [sys.executable, "-m", "peerpulse", "rebuild", "--no-progress"], cwd=tmp_path,
            env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert rebuild.returncode == 0, rebuild.stderr[-2000:] + "".join(log[-30:])
        assert rebuild.stdout.startswith("rebuilt "), rebuild.stdout
        assert (
            f"peerpulse rebuild: peerpulse up (pid {up.pid}) is running: "
            "asking it to pause its worker" in rebuild.stderr
        ), rebuild.stderr
        assert f"peerpulse up (pid {up.pid}) restarts its worker now" in rebuild.stderr

        said = "".join(log)
        assert "pausing worker for pid" in said, said[-3000:]
        assert "worker exited with code" not in said, "paused, not crashed and restarted"
        _wait(lambda: any("resuming worker" in x for x in log), log, "worker not resumed", 30)

        def a_new_worker_holds_the_lock() -> bool:
            holder = _worker_lock_holder(data_dir)
            return holder != first_worker and _alive(holder)  # not the (gone) rebuild's pid

        _wait(a_new_worker_holds_the_lock, log, "no worker took the lock back", 60)
        if workers > 1:
            assert "pausing worker-2 for pid" in said and "resuming worker-2" in "".join(log)

        def the_workers_share_the_topic_again() -> bool:
            pids = _pids(_owners(data_dir))
            return len(pids) == workers and all(_alive(pid) for pid in pids)

        _wait(the_workers_share_the_topic_again, log, "the topic was not shared again", 60)
        assert not pause.request_file(data_dir, "worker").exists()
        assert up.poll() is None, "".join(log[-30:])
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()
    assert pause.running_supervisor(data_dir) is None  # the pid file went with it


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

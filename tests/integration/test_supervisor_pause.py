"""A pause request stops a supervised service until the requester withdraws it — or dies:
a rebuild killed by SIGKILL never leaves ``peerpulse up`` without its worker."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

from peerpulse import pause
from peerpulse.supervisor import Service, Supervisor


def _sleeper(tmp: Path) -> Service:
    pids = tmp / "worker.pids"
    code = f"import os,time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n'); time.sleep(120)"
    return Service("worker", [sys.executable, "-c", code], ready=pids.exists)


def _starts(tmp: Path) -> list[int]:
    path = tmp / "worker.pids"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _until(predicate, sup: Supervisor, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, sup.out.getvalue()
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_dead_requesters_pause_ends_and_the_service_comes_back(tmp_path):
    data = tmp_path / "pp"
    sup = Supervisor([_sleeper(tmp_path)], out=io.StringIO(), data_dir=data)
    sup.start()
    requester = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert pause.running_supervisor(data) is not None
        (first,) = _starts(tmp_path)
        pause.request_file(data, "worker").write_text(str(requester.pid))
        _until(lambda: "worker" in sup.paused and not _alive(first), sup)
        time.sleep(2.5)  # paused means paused: no restart while the requester lives
        assert _starts(tmp_path) == [first] and "worker" not in sup.running

        requester.kill()  # SIGKILL: the request file stays behind
        requester.wait()
        _until(lambda: len(_starts(tmp_path)) == 2, sup)
        assert "resuming worker" in sup.out.getvalue()
        assert _alive(_starts(tmp_path)[1]) and "worker" not in sup.paused
    finally:
        requester.kill()
        sup.stop(grace=5)
    assert pause.running_supervisor(data) is None


def test_a_withdrawn_request_resumes_the_service(tmp_path):
    data = tmp_path / "pp"
    sup = Supervisor([_sleeper(tmp_path)], out=io.StringIO(), data_dir=data)
    sup.start()
    try:
        seen = []
        with pause.paused(data, "worker", seen.append) as pid:
            assert pid is not None and "asking it to pause its worker" in seen[0]
            _until(lambda: "worker" in sup.paused, sup)
        _until(lambda: len(_starts(tmp_path)) == 2 and "worker" in sup.running, sup)
        assert "restarts its worker now" in seen[-1]
    finally:
        sup.stop(grace=5)


def test_without_a_running_up_nothing_is_requested(tmp_path):
    with pause.paused(tmp_path / "pp", "worker", print) as pid:
        assert pid is None
        assert not pause.request_file(tmp_path / "pp", "worker").exists()


def test_one_pause_request_stops_every_worker_of_up_workers_n(tmp_path):
    """``peerpulse up --workers 3`` runs ``worker``, ``worker-2`` and ``worker-3``; a
    rebuild asks for ``worker`` and must get all three out of the way (decision 0025)."""
    data = tmp_path / "pp"
    listed = []
    for name in ("worker", "worker-2", "worker-3"):
        pids = tmp_path / f"{name}.pids"
        code = (f"import os,time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n');"
                " time.sleep(120)")  # fmt: skip
        listed.append(Service(name, [sys.executable, "-c", code], ready=pids.exists,
                              pauses_as="worker"))  # fmt: skip
    sup = Supervisor(listed, out=io.StringIO(), data_dir=data)
    sup.start()
    try:
        with pause.paused(data, "worker", lambda _line: None):
            _until(lambda: {"worker", "worker-2", "worker-3"} <= set(sup.paused), sup)
            assert not set(sup.running) & {"worker", "worker-2", "worker-3"}
        _until(lambda: {"worker", "worker-2", "worker-3"} <= set(sup.running), sup)
    finally:
        sup.stop(grace=5)

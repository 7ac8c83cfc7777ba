"""The supervisor runs real child processes: readiness, prefixed logs, restart, shutdown."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import pytest

from peerpulse.supervisor import Service, ServiceFailed, Supervisor

PY = sys.executable


def _sleeper(tmp: Path, name: str) -> Service:
    marker = tmp / f"{name}.ready"
    code = (
        "import pathlib,time,sys;"
        f"print('hello from {name}', flush=True);"
        f"pathlib.Path({str(marker)!r}).write_text('x');"
        "time.sleep(60)"
    )
    return Service(name, [PY, "-c", code], ready=marker.exists, ready_timeout=10)


def test_services_start_in_order_log_with_prefix_and_stop(tmp_path: Path) -> None:
    out = io.StringIO()
    sup = Supervisor([_sleeper(tmp_path, "alpha"), _sleeper(tmp_path, "beta")], out=out)
    sup.start()
    procs = [r.proc for r in sup.running.values()]
    assert all(p.poll() is None for p in procs)
    time.sleep(0.3)
    sup.stop(grace=5)
    assert all(p.poll() is not None for p in procs)
    log = out.getvalue()
    assert "alpha      | hello from alpha" in log
    assert log.index("alpha is ready") < log.index("starting beta")


def test_a_service_that_dies_during_start_fails_with_its_last_line(tmp_path: Path) -> None:
    bad = Service("broken", [PY, "-c", "print('port 9092 is already in use'); raise SystemExit(3)"])
    sup = Supervisor([_sleeper(tmp_path, "first"), bad], out=io.StringIO())
    with pytest.raises(ServiceFailed, match="broken exited with code 3.*already in use"):
        sup.start()
    assert sup.running == {}


def test_a_service_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    slow = Service(
        "slow", [PY, "-c", "import time; time.sleep(30)"], ready=lambda: False, ready_timeout=1
    )
    with pytest.raises(ServiceFailed, match="slow was not ready within 1 s"):
        Supervisor([slow], out=io.StringIO()).start()


def test_a_crashed_service_is_restarted(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    code = (
        "import pathlib,time;"
        f"p=pathlib.Path({str(counter)!r});"
        "n=int(p.read_text()) if p.exists() else 0; p.write_text(str(n+1));"
        "time.sleep(0.2 if n == 0 else 60)"
    )
    sup = Supervisor([Service("flaky", [PY, "-c", code], ready=counter.exists)], out=io.StringIO())
    sup.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not counter.exists() or counter.read_text() != "2"):
        time.sleep(0.2)
    sup.stop(grace=5)
    assert counter.read_text() == "2"


def test_a_oneshot_step_must_succeed_before_the_next_service(tmp_path: Path) -> None:
    ok = Service("setup", [PY, "-c", "print('topics created')"], oneshot=True)
    bad = Service(
        "setup2", [PY, "-c", "print('no broker at 127.0.0.1:1'); raise SystemExit(2)"], oneshot=True
    )
    out = io.StringIO()
    sup = Supervisor([ok, _sleeper(tmp_path, "after"), bad], out=out)
    with pytest.raises(ServiceFailed, match="setup2 failed \\(exit code 2\\): no broker"):
        sup.start()
    assert "topics created" in out.getvalue()
    assert sup.running == {}


def test_ctrl_c_stops_every_service_even_when_sigint_was_inherited_as_ignored(
    tmp_path: Path,
) -> None:
    import signal
    import subprocess

    pids = tmp_path / "child.pid"
    script = f"""
import sys, pathlib
sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
from peerpulse.supervisor import Service, Supervisor
marker = pathlib.Path({str(tmp_path / "ready")!r})
pids = pathlib.Path({str(pids)!r})
code = f"import os,pathlib,time; pathlib.Path({{str(pids)!r}}).write_text(str(os.getpid()))"
code += "; time.sleep(60)"
sup = Supervisor([Service("svc", [sys.executable, "-c", code], ready=pids.exists)])
sup.start()
marker.write_text("up")
sup.wait()
"""
    proc = subprocess.Popen(
        [PY, "-c", script],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # like `cmd &` in sh
    )
    deadline = time.monotonic() + 20
    while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pids.read_text())
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_a_removed_service_stays_stopped_until_added_again(tmp_path: Path) -> None:
    sup = Supervisor([_sleeper(tmp_path, "alpha"), _sleeper(tmp_path, "beta")], out=io.StringIO())
    sup.start()
    try:
        first = sup.running["beta"].proc
        sup.remove("beta", grace=5)
        assert first.poll() is not None and "beta" not in sup.running
        time.sleep(2.5)  # the watch loop (1 s) must not restart what was removed
        assert "beta" not in sup.running
        (tmp_path / "beta.ready").unlink()
        sup.add(_sleeper(tmp_path, "beta"))
        assert sup.running["beta"].proc.poll() is None and sup.running["beta"].proc is not first
        sup.remove("nobody")  # nothing to stop: no error
    finally:
        sup.stop(grace=5)

"""No service outlives its supervisor: signals, a vanished log reader, SIGKILL; and a
service that ran healthy for a while gets its restart budget back.

The supervisor runs as a process of its own (a small script, as ``peerpulse up`` would),
so the tests can signal it, close its output and kill it outright.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from infra.broker import EmbeddedBroker, free_port, port_in_use
from peerpulse.supervisor import Service, Supervisor

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BROKER_STOP_GRACE = inspect.signature(EmbeddedBroker).parameters["stop_grace"].default

SCRIPT = """
import pathlib, sys
sys.path.insert(0, {root!r})
from infra.broker import probe
from peerpulse.supervisor import Service, Supervisor
tmp = pathlib.Path({tmp!r})

def sleeper(name, ready=True):
    pid = tmp / (name + ".pid")
    code = ("import os,pathlib,time; pathlib.Path(%r).write_text(str(os.getpid()))\\n"
            "while True: print('tick', flush=True); time.sleep(0.1)" % str(pid))
    probe = pid.exists if ready else (lambda: False)
    return Service(name, [sys.executable, "-c", code], ready=probe, ready_timeout=60)

services = [sleeper("alpha"), sleeper("beta", ready={beta_ready!r})]
if {broker_port!r}:
    port = {broker_port!r}
    argv = [sys.executable, "-m", "peerpulse", "broker", "--no-topics", "--port", str(port)]
    env = {{"PEERPULSE_DATA_DIR": str(tmp / "data")}}
    ready = lambda: bool(probe("127.0.0.1", port))
    services.insert(0, Service("broker", argv, ready=ready, env=env))
sup = Supervisor(services)
try:
    sup.start()
except KeyboardInterrupt:
    print("interrupted during start", flush=True)
    raise SystemExit(130)
(tmp / "up").write_text("up")
sup.wait()
"""


def _supervisor(tmp: Path, *, beta_ready: bool = True, broker_port: int = 0) -> subprocess.Popen:
    script = SCRIPT.format(root=str(ROOT), tmp=str(tmp), beta_ready=beta_ready,
                           broker_port=broker_port)  # fmt: skip
    return subprocess.Popen(
        [PY, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.1)


def _children(tmp: Path) -> list[int]:
    return [int(p.read_text()) for p in sorted(tmp.glob("*.pid")) if p.read_text()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _assert_all_gone(pids: list[int], within: float) -> None:
    deadline = time.monotonic() + within
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {p: _cmdline(p) for p in pids if _alive(p)}
    assert not left, f"still running {within:.0f} s later: {left}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def _reap(proc: subprocess.Popen, tmp: Path, family: list[int] | None = None) -> bytes:
    """Kill the supervisor and anything it left behind, whatever the verdict."""
    if proc.poll() is None:
        proc.kill()
    for pid in [*(family or []), *_children(tmp)]:
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            marks = (str(tmp).encode(), b"-m\x00peerpulse\x00", b"tansu")
            if _alive(pid) and any(mark in cmdline for mark in marks):
                os.kill(pid, signal.SIGKILL)
    out = b""
    if proc.stdout is not None and not proc.stdout.closed:
        out = proc.stdout.read()
    proc.wait()
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_services_start_stops_those_already_running(tmp_path: Path, sig) -> None:
    proc = _supervisor(tmp_path, beta_ready=False)
    try:
        _wait_for(tmp_path / "beta.pid", proc)
        children = _children(tmp_path)
        proc.send_signal(sig)
        assert proc.wait(20) == 130
        _assert_all_gone(children, within=5)
    finally:
        log = _reap(proc, tmp_path).decode()
    assert "stopping beta" in log and "stopping alpha" in log, log[-2000:]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_while_serving_stops_every_service(tmp_path: Path, sig) -> None:
    proc = _supervisor(tmp_path)
    try:
        _wait_for(tmp_path / "up", proc)
        children = _children(tmp_path)
        proc.send_signal(sig)
        assert proc.wait(20) == 0
        _assert_all_gone(children, within=5)
    finally:
        _reap(proc, tmp_path)


def test_ctrl_c_stops_every_service_after_the_log_reader_went_away(tmp_path: Path) -> None:
    """``peerpulse demo | tee`` and Ctrl-C: tee is gone before the supervisor stops."""
    proc = _supervisor(tmp_path)
    try:
        _wait_for(tmp_path / "up", proc)
        children = _children(tmp_path)
        assert proc.stdout is not None
        proc.stdout.close()  # the reader dies; the services keep logging into a broken pipe
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0, "the supervisor died of its broken output"
        _assert_all_gone(children, within=5)
    finally:
        _reap(proc, tmp_path)


@pytest.mark.kafka
def test_services_and_the_broker_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    port = free_port()
    proc = _supervisor(tmp_path, broker_port=port)
    family: list[int] = []
    try:
        _wait_for(tmp_path / "up", proc, timeout=90)
        family = _descendants(proc.pid)
        assert len(family) >= 4, family  # peerpulse broker, its Tansu, alpha, beta
        proc.kill()
        proc.wait()
        # the broker asks Tansu to stop (SIGINT) and kills it after its stop grace (5 s)
        _assert_all_gone(family, within=BROKER_STOP_GRACE + 5)
        assert not port_in_use("127.0.0.1", port), "the broker port is still bound"
    finally:
        _reap(proc, tmp_path, family)


def test_a_service_that_ran_healthy_gets_its_restart_budget_back(tmp_path: Path) -> None:
    """Budget 2: two quick crashes use it up; a crash after a healthy run (longer than
    ``reset_after``) is restarted anyway, and so is one more quick crash after that."""
    runs = tmp_path / "runs"
    code = (
        "import pathlib,time;"
        f"p=pathlib.Path({str(runs)!r});"
        "n=int(p.read_text()) if p.exists() else 0; p.write_text(str(n+1));"
        "time.sleep({0: 0.1, 1: 0.1, 2: 2.5, 3: 0.1}.get(n, 60))"
    )
    service = Service("flaky", [PY, "-c", code], ready=runs.exists)
    sup = Supervisor([service], out=io.StringIO(), max_restarts=2, reset_after=2.0)
    sup.start()
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and runs.read_text() != "5":
            time.sleep(0.2)
        assert runs.read_text() == "5", sup.out.getvalue()
        assert sup.running["flaky"].proc.poll() is None
    finally:
        sup.stop(grace=5)


@pytest.mark.kafka
@pytest.mark.slow
def test_peerpulse_up_leaves_nothing_running_when_it_is_killed(tmp_path: Path) -> None:
    ports = {"BROKER_PORT": free_port(), "API_PORT": free_port(), "SMTP_PORT": free_port()}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PEERPULSE_DATA_DIR": str(tmp_path / "pp"),
           **{f"PEERPULSE_{name}": str(port) for name, port in ports.items()}}  # fmt: skip
    proc = subprocess.Popen(
        [PY, "-m", "peerpulse", "up"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    lines: list[bytes] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True).start()
    family: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while not any(b"peerpulse is up" in line for line in lines):
            assert proc.poll() is None, b"".join(lines[-20:]).decode()
            assert time.monotonic() < deadline, b"".join(lines[-20:]).decode()
            time.sleep(0.2)
        family = _descendants(proc.pid)
        assert len(family) >= 9, [_cmdline(pid) for pid in family]  # 8 services and Tansu
        proc.kill()
        proc.wait()
        # as above: the broker among them may wait its stop grace before it kills Tansu
        _assert_all_gone(family, within=BROKER_STOP_GRACE + 5)
        taken = [name for name, port in ports.items() if port_in_use("127.0.0.1", port)]
        assert not taken, f"still bound: {taken}"
    finally:
        _reap(proc, tmp_path, family)

"""Asking a running ``peerpulse up`` to pause one of its services for a while.

``peerpulse rebuild`` needs the projection worker's lock, which ``up``'s worker holds. So
``up``'s supervisor records its pid in ``<data_dir>/up/supervisor.pid``; a command that
needs a service out of the way writes its own pid to ``<data_dir>/up/<service>.pause``.
The supervisor stops that service (no restart) while the request stands and the requester
lives, and starts it again once the request is gone — removed by the requester when it
finishes, or left behind by one that died (a dead requester's pid no longer answers).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path


def run_dir(data_dir: Path) -> Path:
    """Where a running ``up`` keeps its pid and the pause requests addressed to it."""
    return data_dir / "up"


def _pid_file(data_dir: Path) -> Path:
    return run_dir(data_dir) / "supervisor.pid"


def request_file(data_dir: Path, service: str) -> Path:
    """The file asking ``up`` to keep ``service`` stopped."""
    return run_dir(data_dir) / f"{service}.pause"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 0 and _alive(pid) else None


def record_supervisor(data_dir: Path) -> None:
    """Say that this process supervises ``up`` on ``data_dir``."""
    run_dir(data_dir).mkdir(parents=True, exist_ok=True)
    _pid_file(data_dir).write_text(str(os.getpid()))


def forget_supervisor(data_dir: Path) -> None:
    """Remove our pid file (only ours: a later ``up`` may have replaced it)."""
    path = _pid_file(data_dir)
    with contextlib.suppress(OSError):
        if path.read_text().strip() == str(os.getpid()):
            path.unlink()


def running_supervisor(data_dir: Path) -> int | None:
    """The pid of a live ``up`` on ``data_dir``, or ``None``."""
    return _read_pid(_pid_file(data_dir))


def requester(data_dir: Path, service: str) -> int | None:
    """The live process asking for ``service`` to be paused, or ``None``."""
    return _read_pid(request_file(data_dir, service))


@contextlib.contextmanager
def paused(data_dir: Path, service: str, say: Callable[[str], None]) -> Iterator[int | None]:
    """While the block runs, a running ``up`` keeps ``service`` stopped.

    Yields the supervisor's pid, or ``None`` when no ``up`` runs on ``data_dir``.
    """
    pid = running_supervisor(data_dir)
    if pid is None:
        yield None
        return
    request = request_file(data_dir, service)
    request.write_text(str(os.getpid()))
    say(f"peerpulse up (pid {pid}) is running: asking it to pause its {service}")
    try:
        yield pid
    finally:
        request.unlink(missing_ok=True)
        say(f"peerpulse up (pid {pid}) restarts its {service} now")

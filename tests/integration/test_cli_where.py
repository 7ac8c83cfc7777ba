"""Every command says first where it connects, and follows PEERPULSE_BROKER_PORT alone.

The incident this holds: ``PEERPULSE_BROKER_PORT`` moved only the embedded broker, so a
``peerpulse rebuild`` read another system's broker on 9092 and exited 0.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from infra.broker import free_port


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PEERPULSE_")}
    return {**clean, "PEERPULSE_DATA_DIR": str(tmp_path / "pp"), **extra}


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``peerpulse`` with stderr on a pseudo-terminal, as at a shell prompt."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the terminal's last writer is gone
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "peerpulse", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env,
    )  # fmt: skip
    os.close(slave)
    code = proc.wait(timeout=120)
    reader.join(10)
    os.close(master)
    return code, b"".join(chunks).decode().replace("\r\n", "\n")


def test_rebuild_with_only_the_broker_port_set_connects_there_and_says_so(tmp_path):
    port = free_port()  # nothing listens: the rebuild must fail, not find some other broker
    code, err = _on_a_terminal(
        ["rebuild", "--no-progress"], _env(tmp_path, PEERPULSE_BROKER_PORT=str(port))
    )
    lines = [x for x in err.splitlines() if x.startswith("peerpulse rebuild:")]
    assert lines[0] == (
        f"peerpulse rebuild: broker 127.0.0.1:{port} · "
        f"read model sqlite {tmp_path / 'pp' / 'readmodel.sqlite'}"
    ), err
    assert code != 0, err
    assert f"no Kafka broker answers at 127.0.0.1:{port}" in lines[-1], err


def test_verbose_names_the_settings_that_were_set(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "peerpulse", "--verbose", "tokens", "list"],
        env=_env(tmp_path, PEERPULSE_API_PORT="8411"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (where,) = [x for x in done.stderr.splitlines() if x.startswith("peerpulse tokens:")]
    assert where == (
        f"peerpulse tokens: tokens sqlite {tmp_path / 'pp' / 'api.sqlite'} (set: "
        f"PEERPULSE_API_PORT=8411, PEERPULSE_DATA_DIR={tmp_path / 'pp'}; the rest default)"
    )


def test_a_scripts_stderr_keeps_only_the_error_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "peerpulse", "tokens", "revoke", "0000"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    ours = [x for x in done.stderr.splitlines() if x.startswith("peerpulse")]
    assert ours == ["peerpulse tokens: no token id starts with '0000'"], done.stderr

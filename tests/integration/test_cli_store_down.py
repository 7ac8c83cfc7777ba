"""Commands on a PostgreSQL store that is down say so in one line within seconds."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from infra.broker import free_port
from tests.integration.relay_kit import relay_env


@pytest.mark.kafka
@pytest.mark.parametrize(
    "command",
    [["relay"], ["ingest"], ["alerts", "run"], ["worker"], ["clock"], ["tokens", "list"]],
    ids=lambda c: c[0],
)
def test_postgres_down_is_one_line_and_a_non_zero_exit(
    command, sqlite_settings, kafka_bootstrap, tmp_path
):
    port = free_port()
    env = relay_env(
        sqlite_settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap}),
        {
            "PEERPULSE_STORE": "postgres",
            "PEERPULSE_POSTGRES_DSN": f"postgresql://u@127.0.0.1:{port}/db",
        },
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "peerpulse", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr[-1500:]
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(
        f"peerpulse {command[0]}: PostgreSQL at 127.0.0.1:{port}/db is not reachable: "
    ), line
    assert time.monotonic() - started < 20

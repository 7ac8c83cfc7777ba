"""Commands that need Kafka say so in one line within seconds when nothing answers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra.broker import free_port
from tests.integration.relay_kit import relay_env


@pytest.mark.parametrize(
    "command",
    [["relay"], ["ingest"], ["simulate", "--groups", "1", "--weeks", "1"]],
    ids=lambda c: c[0],
)
def test_no_broker_is_one_line_and_a_non_zero_exit(command, sqlite_settings, tmp_path):
    nowhere = f"127.0.0.1:{free_port()}"
    settings = sqlite_settings.model_copy(update={"kafka_bootstrap": nowhere})
    done = subprocess.run(
        [sys.executable, "-m", "peerpulse", *command],
        env=relay_env(settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr[-1500:]
    assert done.stderr.strip().splitlines() == [
        f"peerpulse {command[0]}: no Kafka broker answers at {nowhere}: "
        "[Errno 111] Connection refused"
    ]

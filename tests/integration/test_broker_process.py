"""EmbeddedBroker start-up and shutdown: readiness, one-line errors, no stray processes."""

from __future__ import annotations

import os
import socket

import pytest

import infra.broker as broker_mod
from infra.broker import BrokerError, EmbeddedBroker, free_port, probe


def _listener() -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_broker_answers_metadata_when_start_returns_and_is_gone_after_stop(tmp_path):
    with EmbeddedBroker(port=free_port(), log_dir=tmp_path) as b:
        assert probe(b.host, b.port) == [(b.host, b.port)]
        pid = b._proc.pid
        assert b.log_path.parent == tmp_path
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_taken_port_is_a_one_line_error_before_anything_starts(tmp_path):
    with _listener() as s:
        port = s.getsockname()[1]
        with pytest.raises(BrokerError) as err:
            EmbeddedBroker(port=port, log_dir=tmp_path).start()
    assert str(err.value) == f"port 127.0.0.1:{port} is already in use"


def test_port_taken_after_the_check_is_still_reported_as_in_use(tmp_path, monkeypatch):
    monkeypatch.setattr(broker_mod, "port_in_use", lambda host, port: False)
    with _listener() as s:
        port = s.getsockname()[1]
        with pytest.raises(BrokerError, match="already in use"):
            EmbeddedBroker(port=port, log_dir=tmp_path).start()


def test_missing_binary_cannot_run(tmp_path):
    with pytest.raises(BrokerError, match=r"^broker binary /nonexistent/tansu cannot run: "):
        EmbeddedBroker(port=free_port(), binary="/nonexistent/tansu", log_dir=tmp_path).start()


def test_binary_that_exits_at_once_reports_its_last_log_line(tmp_path):
    script = tmp_path / "fake-tansu"
    script.write_text("#!/bin/sh\necho starting\necho 'storage engine unavailable'\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(BrokerError) as err:
        EmbeddedBroker(port=free_port(), binary=script, log_dir=tmp_path).start()
    assert str(err.value) == "broker exited during start-up: storage engine unavailable"


def test_a_listener_that_never_speaks_kafka_times_out_with_a_clear_error(tmp_path):
    script = tmp_path / "fake-tansu"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(0o755)
    b = EmbeddedBroker(port=free_port(), binary=script, log_dir=tmp_path, start_timeout=0.5)
    with pytest.raises(BrokerError, match=r"not ready after"):
        b.start()
    assert not b.running


def test_stop_is_prompt_and_clean_while_a_client_is_still_connected(tmp_path):
    """Tansu's SIGTERM waits for clients to leave; stop() must not hang on them."""
    b = EmbeddedBroker(port=free_port(), log_dir=tmp_path, stop_grace=5).start()
    proc = b._proc
    with socket.create_connection((b.host, b.port)):
        b.stop()
    # A hang on the open client would end in SIGKILL after the grace (returncode -9).
    assert proc.returncode == 0

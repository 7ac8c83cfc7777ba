"""One running peerpulse for an e2e module: every service as ``make demo`` runs it, on a store.

:func:`running_system` starts the demo's services (embedded Tansu broker, mail sink, relay,
projection worker, alert router, API) plus ingest, on SQLite or on a fresh PostgreSQL
schema, with free ports. :class:`System` then speaks only the public doors: it produces
attendance records onto ``peerpulse.attendance.v1`` as another system would, waits until
every stage has processed them, reads the API with a read token, the DLQ topic and the
mail sink, and tells whether any supervised process died or was restarted.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.broker import free_port
from infra.kafka import producer, read_all
from infra.mailsink import read_index
from infra.settings import Settings
from infra.topics import ATTENDANCE, ATTENDANCE_DLQ
from peerpulse.commands import demo, up
from tests.conftest import PG_DSN, server_missing

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Module-fixture params: one running system per store."""
SERVICES = ("mailsink", "relay", "worker", "alerts", "api", "ingest")
LARGE_SENDER = {"max_request_size": 4 * 1024 * 1024}
"""A sender whose producer allows records larger than peerpulse's own requests."""


@dataclass
class System:
    """The running services and what has been published to them so far."""

    settings: Settings
    supervisor: Any
    log: io.StringIO
    published: int = 0
    token: str = ""
    _pids: dict[str, int] = field(default_factory=dict)

    def publish(self, records: Iterable[tuple[bytes, bytes]], **config: Any) -> None:
        """Produce ``(key, value)`` records in order onto the attendance topic."""
        p = producer(self.settings.kafka_bootstrap, **config)
        try:
            for key, value in records:
                p.send(ATTENDANCE.name, key=key, value=value)
                self.published += 1
            p.flush(30)
        finally:
            p.close()

    def wait_until_caught_up(self, timeout: float = 90.0, settle: int = 2) -> None:
        """Until ingest has read every published record and the worker every event."""
        from peerpulse.build import build
        from peerpulse.pipeline import pipeline_status

        container = build(self.settings)
        deadline, steady, status = time.monotonic() + timeout, 0, None
        try:
            while time.monotonic() < deadline:
                self.assert_nothing_restarted()
                status = pipeline_status(container)
                done = status.caught_up and status.attendance_available >= self.published
                steady = steady + 1 if done else 0
                if steady >= settle:
                    return
                time.sleep(0.3)
        finally:
            container.close()
        pytest.fail(f"the pipeline did not catch up within {timeout:.0f} s: "
                    f"{status.line() if status else 'no status'}\n{self.tail()}")  # fmt: skip

    def assert_nothing_restarted(self) -> None:
        """Every long-running service is alive, in its first process (no restart)."""
        running = self.supervisor.running
        missing = [name for name in SERVICES if name not in running]
        assert not missing, f"services gone: {missing}\n{self.tail()}"
        for name in SERVICES:
            run = running[name]
            pid = self._pids.setdefault(name, run.proc.pid)
            assert run.proc.poll() is None, f"{name} exited ({run.proc.returncode})\n{self.tail()}"
            assert run.restarts == 0 and run.proc.pid == pid, f"{name} restarted\n{self.tail()}"

    def api(self) -> httpx.Client:
        """An API client with a read token."""
        return httpx.Client(base_url=self.settings.public_url, timeout=30,
                            headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip

    def dead_letters(self) -> list[Any]:
        """Every record on the DLQ topic now."""
        return read_all(self.settings.kafka_bootstrap, ATTENDANCE_DLQ.name, timeout=30)

    def mail(self) -> list[dict]:
        """The mail sink's index: one entry (to, subject, message_id) per delivered e-mail."""
        return read_index(self.settings.data_dir / "mail")

    def tail(self, lines: int = 60) -> str:
        """The last lines of the services' shared log, for failure messages."""
        return "\n".join(self.log.getvalue().splitlines()[-lines:])


@contextmanager
def running_system(tmp: Path, store: str) -> Iterator[System]:
    """The demo's services plus ingest on ``store`` (``sqlite`` or ``postgres``)."""
    with _store(store) as options:
        api_port = free_port()
        base = Settings(
            _env_file=None, data_dir=tmp / "pp", broker_port=free_port(), api_port=api_port,
            smtp_port=free_port(), public_url=f"http://127.0.0.1:{api_port}", **options,
        )  # fmt: skip
        settings = demo.demo_settings(base)
        log = io.StringIO()
        supervisor = demo.start(settings, out=log)
        try:
            supervisor.add(up.ingest_service(settings))
            system = System(settings, supervisor, log, token=_read_token(settings))
            system.assert_nothing_restarted()
            yield system
        finally:
            supervisor.stop()
            (tmp / "services.log").write_text(log.getvalue())


@contextmanager
def _store(store: str) -> Iterator[dict[str, Any]]:
    """Settings for the store; a fresh PostgreSQL schema, dropped afterwards."""
    if store == "sqlite":
        yield {"store": "sqlite"}
        return
    import psycopg

    try:
        conn = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        server_missing(f"PostgreSQL at {PG_DSN} ({exc.__class__.__name__})")
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {"store": "postgres", "postgres_dsn": PG_DSN, "postgres_schema": schema}
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


def _read_token(settings: Settings) -> str:
    from api.auth.store import TokenStore

    return TokenStore(settings).create("e2e", ["read"])[1]


def headers_of(record: Any) -> dict[str, str]:
    """A dead letter's headers as text."""
    return {k: (v or b"").decode("utf-8", "replace") for k, v in record.headers}


def envelope(kind: str, message_id: str, time_: str, data: dict[str, Any],
             source: str = "e2e.example.org") -> dict[str, Any]:  # fmt: skip
    """One ingest message of type ``peerpulse.ingest.<kind>.v1``."""
    return {"specversion": "1.0", "id": message_id, "source": source,
            "type": f"peerpulse.ingest.{kind}.v1", "time": time_,
            "datacontenttype": "application/json", "data": data}  # fmt: skip


def encode(message: dict[str, Any]) -> bytes:
    """The message as the UTF-8 JSON a sender would produce."""
    return json.dumps(message).encode()


def wait_for_mail(system: System, to: str, timeout: float = 60.0) -> list[dict]:
    """The mail sink's messages to ``to``, once at least one arrived (fails after
    ``timeout`` with the services' log tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mail = [m for m in system.mail() if to in m["to"]]
        if mail:
            return mail
        time.sleep(0.5)
    pytest.fail(f"no e-mail to {to} reached the mail sink\n{system.tail()}")

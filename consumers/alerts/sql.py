"""A small transactional SQL edge over SQLite (embedded) or PostgreSQL (production).

Statements are written with ``?`` placeholders; for PostgreSQL they become ``%s`` and the
connection's ``search_path`` is set to ``Settings.postgres_schema`` when given.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.sql import connect, is_postgres, placeholders

_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def ts(value: datetime | None) -> str | None:
    """A datetime as sortable UTC text."""
    return value.astimezone(UTC).strftime(_FORMAT) if value is not None else None


def parse_ts(text: str | None) -> datetime | None:
    """The inverse of :func:`ts`."""
    return datetime.fromisoformat(text) if text else None


class Tx:
    """One open transaction: run statements, fetch rows."""

    def __init__(self, conn: Any, pg: bool) -> None:
        self._conn, self._pg = conn, pg

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Execute and return rows (empty for statements without a result)."""
        cur = self._conn.execute(placeholders(sql, self._pg), tuple(params))
        return list(cur.fetchall()) if cur.description else []

    def changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute and return how many rows it touched."""
        cur = self._conn.execute(placeholders(sql, self._pg), tuple(params))
        return cur.rowcount


class Database:
    """Short transactions on one connection per thread."""

    def __init__(self, settings: Settings, sqlite_file: str = "alerts.sqlite") -> None:
        self.settings = settings
        self.pg = is_postgres(settings)
        self.path: Path = settings.data_dir / sqlite_file
        self._local = threading.local()

    def _connect(self) -> Any:
        return connect(self.settings, self.path, timeout=30,
                       pragmas=("journal_mode=WAL", "synchronous=FULL"))  # fmt: skip

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        """A write transaction, committed (durably) on leaving, rolled back on error."""
        conn = self._conn()
        if self.pg:
            with conn.transaction():
                yield Tx(conn, True)
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(conn, False)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

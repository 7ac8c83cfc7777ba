"""Read-only SQL over the projections' read model (tables of :mod:`projections.readmodel.tables`).

SQLite file ``Settings.readmodel_sqlite_path`` (embedded) or PostgreSQL (production, in
``postgres_schema`` when set). Before the projector has created its tables, every query
answers empty instead of failing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from infra.settings import Settings
from infra.sql import connect, is_postgres, placeholders

_MISSING_TABLE = ("no such table", "does not exist")


class ReadModelReader:
    """Runs SELECTs (``?`` placeholders) and returns rows as dicts; one connection per thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pg = is_postgres(settings)
        self._local = threading.local()

    def _connect(self) -> Any:
        return connect(self.settings, self.settings.readmodel_sqlite_path)

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row of a SELECT as a dict; ``[]`` while the table does not exist yet."""
        try:
            cur = self._conn().execute(placeholders(sql, self.pg), tuple(params))
        except Exception as exc:
            if any(text in str(exc) for text in _MISSING_TABLE):
                self._reset_failed_transaction()
                return []
            self.close()
            raise
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row or None."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def ping(self) -> None:
        """Raise if the read model's database does not answer."""
        self.rows("SELECT 1 AS ok")

    def _reset_failed_transaction(self) -> None:
        if self.pg:
            self.close()

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

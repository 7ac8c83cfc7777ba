"""SQL text for the read model, for SQLite and PostgreSQL, generated from the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from infra.settings import Settings
from projections.readmodel import tables as T

_PG_TYPES = {"REAL": "DOUBLE PRECISION", "BLOB": "BYTEA"}


@dataclass(frozen=True)
class Dialect:
    """What differs between the backends: parameter style, types, schema, connecting."""

    kind: str
    schema: str = ""

    @classmethod
    def for_settings(cls, settings: Settings) -> Dialect:
        """The dialect of the configured store."""
        return cls(settings.store, settings.postgres_schema if settings.store == "postgres" else "")

    @property
    def param(self) -> str:
        """The placeholder for one parameter."""
        return "?" if self.kind == "sqlite" else "%s"

    def qualified(self, name: str) -> str:
        """A table name, schema-qualified on PostgreSQL when a schema is set."""
        return f'"{self.schema}"."{name}"' if self.schema else f'"{name}"'

    def column_type(self, sql_type: str) -> str:
        """The backend's spelling of a catalogue column type."""
        if self.kind == "sqlite":
            return sql_type
        head, _, rest = sql_type.partition(" ")
        return " ".join(x for x in (_PG_TYPES.get(head, head), rest) if x)

    def connect(self, settings: Settings) -> Any:
        """A connection with autocommit off (usable from one thread at a time, any thread:
        ``rebuild`` writes on a writer thread)."""
        if self.kind == "sqlite":
            import sqlite3

            settings.data_dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                settings.readmodel_sqlite_path, timeout=30, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn
        from infra.sql import postgres

        return postgres(settings, autocommit=False)

    def bulk(self, conn: Any) -> None:
        """Trade durability of the latest commits for write speed (rebuild only)."""
        if self.kind == "sqlite":
            for pragma in ("synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY"):
                conn.execute(f"PRAGMA {pragma}")
            return
        conn.execute("SET synchronous_commit TO OFF")
        conn.commit()


def ddl(d: Dialect) -> list[str]:
    """CREATE TABLE IF NOT EXISTS for every catalogue table."""
    out = []
    for t in T.ALL_TABLES:
        cols = ", ".join(f'"{c}" {d.column_type(ty)}' for c, ty in t.columns.items())
        keys = ", ".join(f'"{k}"' for k in t.key)
        table = d.qualified(t.name)
        out.append(f"CREATE TABLE IF NOT EXISTS {table} ({cols}, PRIMARY KEY ({keys}))")
    return out


def existing_columns_sql(d: Dialect) -> str:
    """``(table, column)`` of every read-model column the backend has now."""
    if d.kind == "sqlite":
        names = ", ".join(f"'{t.name}'" for t in T.ALL_TABLES)
        return (
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
            f" WHERE m.type = 'table' AND m.name IN ({names})"
        )
    schema = f"'{d.schema}'" if d.schema else "current_schema()"
    return (
        "SELECT table_name, column_name FROM information_schema.columns"
        f" WHERE table_schema = {schema}"
    )


def added_columns(d: Dialect, existing: set[tuple[str, str]]) -> list[str]:
    """ALTER TABLE for every catalogue column a read model made by an older release lacks.

    New columns are nullable (filled as the worker replays: a new ``STATE_FORMAT`` makes
    it start from the beginning), so a read model is upgraded in place, never dropped."""
    tables = {name for name, _ in existing}
    return [
        f'ALTER TABLE {d.qualified(t.name)} ADD COLUMN "{c}" {d.column_type(ty)}'
        for t in T.ALL_TABLES
        if t.name in tables
        for c, ty in t.columns.items()
        if (t.name, c) not in existing and "NOT NULL" not in ty
    ]


@lru_cache(maxsize=256)
def upsert_sql(d: Dialect, table: str, cols: tuple[str, ...]) -> str:
    """Insert a row or set the given columns of the existing one."""
    t = T.BY_NAME[table]
    return _insert(d, t, cols, ", ".join(f'"{c}" = excluded."{c}"' for c in cols))


@lru_cache(maxsize=256)
def incr_sql(d: Dialect, table: str, cols: tuple[str, ...]) -> str:
    """Insert a row of counters or add the given deltas to the existing one."""
    t = T.BY_NAME[table]
    sets = ", ".join(f'"{c}" = COALESCE(cur."{c}", 0) + excluded."{c}"' for c in cols)
    return _insert(d, t, cols, sets)


def _insert(d: Dialect, t: T.Table, cols: tuple[str, ...], sets: str) -> str:
    names = ", ".join(f'"{c}"' for c in (*t.key, *cols))
    marks = ", ".join([d.param] * (len(t.key) + len(cols)))
    keys = ", ".join(f'"{k}"' for k in t.key)
    action = f"DO UPDATE SET {sets}" if cols else "DO NOTHING"
    return (
        f"INSERT INTO {d.qualified(t.name)} AS cur ({names}) VALUES ({marks})"
        f" ON CONFLICT ({keys}) {action}"
    )

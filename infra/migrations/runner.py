"""Bring peerpulse's durable stores to head: ``peerpulse db upgrade``, ``db current``, and
:func:`ensure_at_head`, which every store calls when it first opens (once per process).

A store made by a release from before migrations (its tables exist, no ``alembic_version``)
is *adopted*: stamped at the revision that matches what it holds, then upgraded. The check,
the stamp and the upgrade run in one transaction (``BEGIN IMMEDIATE`` on SQLite) and, on
PostgreSQL, under :func:`infra.sql.setup_lock`, so services starting at once upgrade once.
SQLAlchemy is used only here and in the revisions; the stores keep their sqlite3/psycopg edges.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from infra.errors import UserFacingError, one_line
from infra.migrations.catalogue import AUTH_STORE, STORES, TOKENS, VERSION_TABLE, Store
from infra.migrations.connections import engine_for, targets
from infra.settings import Settings
from infra.sql import is_postgres, setup_lock

log = logging.getLogger(__name__)
RELEASE_0_1_0 = {
    "alerts": "alerts_0001",
    "auth": "auth_0002",
    "vault": "vault_0001",
    "events": "events_0001",
}
"""Where each store stood in release 0.1.0, the last release that made its tables itself
(a token table without ``expires_at`` is older still: ``auth_0001``)."""


class MigrationFailed(UserFacingError):
    """A store could not be read or brought to head (one line says which and why)."""


@dataclass(frozen=True)
class Outcome:
    """What an upgrade did to one store."""

    store: str
    before: str | None
    adopted: str | None
    after: str | None

    def __str__(self) -> str:
        if self.adopted:
            how = f"adopted (made before migrations; stamped {self.adopted}), now at {self.after}"
        elif self.before == self.after:
            how = f"at {self.after} (head), nothing to do"
        else:
            how = f"upgraded from {self.before or 'empty'} to {self.after}"
        return f"{self.store}: {how}"


@cache
def script() -> ScriptDirectory:
    """The revision history in ``infra/migrations/versions`` (loaded once)."""
    return ScriptDirectory.from_config(_config())


def head(store: Store) -> str:
    """The newest revision of ``store``'s branch."""
    return script().get_revision(f"{store.name}@head").revision


def upgrade(
    settings: Settings,
    stores: Iterable[Store] = STORES,
    *,
    now: datetime | None = None,
    sqlite_file: Path | None = None,
) -> list[Outcome]:
    """Bring ``stores`` to head; ``now`` dates data fixes (default: the wall clock)."""
    out: list[Outcome] = []
    for group, path, where in targets(settings, tuple(stores), sqlite_file):
        with _one_line(group, where):
            engine = engine_for(settings, path)
            before = _read(engine, settings)
            if all(before.get(s.name) == head(s) for s in group):
                out += [Outcome(s.name, head(s), None, head(s)) for s in group]
                continue
            with setup_lock(settings), engine.connect() as conn, conn.begin():
                out += _upgrade(conn, settings, group, now)
    for o in out:
        if o.before != o.after:  # a new store's first creation is routine: said with -v only
            new = o.before is None and o.adopted is None
            log.log(logging.DEBUG if new else logging.INFO, "store %s", o)
    return out


def current(settings: Settings) -> list[tuple[Store, str | None, str]]:
    """Each store with its revision (None: not created yet) and the head it should be at."""
    rows = []
    for group, path, where in targets(settings, STORES, None):
        if path is not None and not path.exists():  # do not create an embedded file
            rows += [(s, None, head(s)) for s in group]
            continue
        with _one_line(group, where):
            found = _read(engine_for(settings, path), settings)
        rows += [(s, found.get(s.name), head(s)) for s in group]
    return rows


_done: set[tuple[Any, ...]] = set()
_done_lock = threading.Lock()


def ensure_at_head(settings: Settings, store: Store, *, now: datetime | None = None,
                   sqlite_file: Path | None = None) -> None:  # fmt: skip
    """Bring ``store`` to head the first time this process opens it (then: nothing).

    An embedded store is known by its file's identity, so a data dir emptied or replaced
    while the process runs (``demo --fresh``) is brought to head again."""
    if _identity(settings, store, sqlite_file) in _done:
        return
    with _done_lock:
        if _identity(settings, store, sqlite_file) not in _done:
            upgrade(settings, (store,), now=now, sqlite_file=sqlite_file)
            _done.add(_identity(settings, store, sqlite_file))


def _identity(settings: Settings, store: Store, sqlite_file: Path | None) -> tuple[Any, ...]:
    if is_postgres(settings):
        return (store.name, settings.postgres_dsn, settings.postgres_schema)
    path = sqlite_file or settings.data_dir / store.sqlite_file
    try:
        return (store.name, str(path.resolve()), path.stat().st_ino)
    except FileNotFoundError:
        return ()


def _upgrade(
    conn: Any, settings: Settings, group: tuple[Store, ...], now: datetime | None
) -> list[Outcome]:
    schema = _schema(settings)
    before = _heads(conn, schema)
    adopted = {}
    for s in group:
        if s.name not in before and (rev := _release_revision(conn, schema, s)):
            _context(conn, schema).stamp(script(), rev)
            adopted[s.name] = rev
    cfg = _config(connection=conn, schema=schema, now=now, settings=settings)
    for s in group:
        command.upgrade(cfg, f"{s.name}@head")
    after = _heads(conn, schema)
    return [Outcome(s.name, before.get(s.name), adopted.get(s.name), after.get(s.name))
            for s in group]  # fmt: skip


def _release_revision(conn: Any, schema: str | None, store: Store) -> str | None:
    """The revision matching the tables a release from before migrations left, if any."""
    inspector = sa.inspect(conn)
    if not any(inspector.has_table(t, schema=schema) for t in store.tables):
        return None
    if store is AUTH_STORE:
        columns = {c["name"] for c in inspector.get_columns(TOKENS, schema=schema)}
        return RELEASE_0_1_0[store.name] if "expires_at" in columns else "auth_0001"
    return RELEASE_0_1_0[store.name]


def _read(engine: sa.Engine, settings: Settings) -> dict[str, str]:
    with engine.connect() as conn:
        return _heads(conn, _schema(settings))


def _heads(conn: Any, schema: str | None) -> dict[str, str]:
    """``{store: revision}`` from the version table (empty when there is none)."""
    found = {}
    for rev in _context(conn, schema).get_current_heads():
        try:
            revision = script().get_revision(rev)
        except CommandError:
            raise MigrationFailed(
                f"the store is at revision {rev!r}, which this release does not know "
                "(did a newer peerpulse upgrade it?): run that release, or restore a backup"
            ) from None
        found[next(iter(revision.branch_labels))] = rev
    return found


def _context(conn: Any, schema: str | None) -> MigrationContext:
    opts = {"version_table": VERSION_TABLE, "version_table_schema": schema}
    return MigrationContext.configure(conn, opts=opts)


def _config(**attributes: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.attributes.update(attributes)
    return cfg


def _schema(settings: Settings) -> str | None:
    return (settings.postgres_schema or None) if is_postgres(settings) else None


@contextmanager
def _one_line(group: tuple[Store, ...], where: str) -> Iterator[None]:
    names = ", ".join(s.name for s in group)
    try:
        yield
    except MigrationFailed as exc:
        raise MigrationFailed(f"{names} store at {where}: {exc}") from None
    except UserFacingError:
        raise
    except (sa.exc.SQLAlchemyError, CommandError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        raise MigrationFailed(
            f"cannot bring the {names} store at {where} to head: {one_line(cause)}"
        ) from exc

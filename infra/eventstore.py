"""Event-store wiring: turns Settings into the eventsourcing library's environment.

SQLite is the embedded default (a file under ``data_dir``); PostgreSQL is production.
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from infra.settings import Settings


def eventstore_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing ``env`` for the configured backend."""
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    return {"PERSISTENCE_MODULE": "eventsourcing.postgres", **postgres_env(settings)}


def postgres_env(settings: Settings) -> dict[str, str]:
    """The ``POSTGRES_*`` variables eventsourcing reads, parsed from the DSN."""
    url = urlparse(settings.postgres_dsn)
    env = {
        "POSTGRES_DBNAME": (url.path or "/postgres").lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": "4",
        "POSTGRES_MAX_OVERFLOW": "4",
    }
    if settings.postgres_schema:
        env["POSTGRES_SCHEMA"] = settings.postgres_schema
    return env

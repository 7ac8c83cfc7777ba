"""The line every command prints first: which broker, store and data it is about to use.

A command declares what it uses when it registers (``p.set_defaults(uses=USES_STORE)``);
``peerpulse`` prints one line from the settings before the handler runs, so a command
pointed at the wrong broker or data dir says so instead of quietly reading another system.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel

from infra.settings import Settings

BROKER, EMBEDDED, STORE, READMODEL, ALERTS, TOKENS, DATA, API, MAIL = (
    "broker", "embedded", "store", "readmodel", "alerts", "tokens", "data", "api", "mail",
)  # fmt: skip
KNOWN = frozenset({BROKER, EMBEDDED, STORE, READMODEL, ALERTS, TOKENS, DATA, API, MAIL})


def redact(dsn: str) -> str:
    """A PostgreSQL DSN without its password (``postgresql://u:***@host/db``)."""
    dsn = re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", dsn)
    return re.sub(r"(password=)\S+", r"\1***", dsn)


def _store(settings: Settings, what: str, sqlite_file: str) -> str:
    if settings.store == "sqlite":
        return f"{what} sqlite {settings.data_dir / sqlite_file}"
    schema = f" schema {settings.postgres_schema}" if settings.postgres_schema else ""
    return f"{what} postgres {redact(settings.postgres_dsn)}{schema}"


def parts(settings: Settings, uses: Iterable[str]) -> list[str]:
    """One phrase per thing used, in a fixed order."""
    wanted = set(uses)
    unknown = wanted - KNOWN
    if unknown:
        raise ValueError(f"unknown uses: {sorted(unknown)}")
    phrases = {
        EMBEDDED: f"embedded broker {settings.broker_host}:{settings.broker_port}",
        BROKER: f"broker {settings.kafka_bootstrap}",
        STORE: _store(settings, "store", settings.sqlite_path.name),
        READMODEL: _store(settings, "read model", settings.readmodel_sqlite_path.name),
        ALERTS: _store(settings, "alerts", "alerts.sqlite"),
        TOKENS: _store(settings, "tokens", "api.sqlite"),
        DATA: f"data {settings.data_dir}/",
        API: f"api {settings.public_url}",
        MAIL: f"mail {settings.smtp_host}:{settings.smtp_port}",
    }
    if EMBEDDED in wanted:
        wanted.discard(BROKER)  # the embedded broker *is* the bootstrap
    return [text for key, text in phrases.items() if key in wanted]


def explicit(settings: Settings) -> str:
    """The settings that were set (environment or ``.env``), for ``--verbose``."""
    names = sorted(settings.model_fields_set)
    if not names:
        return "every setting at its default"
    shown = []
    for name in names:
        value = getattr(settings, name)
        text = redact(str(value)) if name == "postgres_dsn" else str(value)
        if isinstance(value, BaseModel):
            text = "(section)"  # e.g. alerts: PEERPULSE_ALERTS_*
        shown.append(f"PEERPULSE_{name.upper()}={text}")
    return "set: " + ", ".join(shown) + "; the rest default"


def line(command: str, settings: Settings, uses: Iterable[str], verbose: bool) -> str | None:
    """``peerpulse rebuild: broker 127.0.0.1:9092 · store sqlite …`` or ``None``."""
    said = parts(settings, uses)
    if not said:
        return None
    text = f"peerpulse {command}: " + " · ".join(said)
    if verbose:
        text += f" ({explicit(settings)})"
    return text

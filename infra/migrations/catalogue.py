"""The durable stores the migrations own, and their table names — declared once, here, so
the stores above (``consumers/alerts``, ``api/auth``) and the migrations below share them.

The event store is one of them too (decision 0018, point 7): its tables are
eventsourcing's, so only their names are declared here.

On SQLite each store is its own file under ``data_dir`` with its own ``alembic_version``;
on PostgreSQL all of them live in the configured schema and share one ``alembic_version``,
one row per store (each store is an Alembic branch named after it).
"""

from __future__ import annotations

from dataclasses import dataclass

ALERTS = "alert_alerts"
ALERT_LOG = "alert_log"
ALERT_OUTBOX = "alert_outbox"
ALERT_LINK_KEYS = "alert_link_keys"
ALERT_LINK_USES = "alert_link_uses"
TOKENS = "api_tokens"
SESSIONS = "api_sessions"
MEMBER_KEYS = "member_keys"
EVENTS_APP = "EngagementApp"
"""The eventsourcing application whose tables the ``events`` store holds: its recorders name
the PostgreSQL tables after it (``engagementapp_events``, …); on SQLite they are fixed."""
EVENTS_DDL_CHECKED_WITH = "9.5.6"
"""The ``eventsourcing`` version whose tables the ``events`` revisions were checked against
(they run the installed library's DDL): a test fails when the pin moves, so a new version's
table changes get their revision (decision 0018, point 7) before this is updated."""
EVENT_TABLES_SQLITE = ("stored_events", "stored_snapshots", "tracking")
EVENT_TABLES_POSTGRES = tuple(f"{EVENTS_APP.lower()}_{t}" for t in ("events", "snapshots",
                                                                     "tracking"))  # fmt: skip
VERSION_TABLE = "alembic_version"
INGEST_WATERMARKS = "ingest_watermarks"
"""Event-time progress per attendance partition, shared by the ingest processes (0024)."""


@dataclass(frozen=True)
class Store:
    """One migrated store: its Alembic branch, its embedded file, the tables it holds."""

    name: str
    sqlite_file: str
    tables: tuple[str, ...]


ALERT_TABLES = (ALERTS, ALERT_LOG, ALERT_OUTBOX, ALERT_LINK_KEYS, ALERT_LINK_USES)
ALERT_STORE = Store("alerts", "alerts.sqlite", ALERT_TABLES)
AUTH_STORE = Store("auth", "api.sqlite", (TOKENS, SESSIONS))
VAULT_STORE = Store("vault", "vault.sqlite", (MEMBER_KEYS,))
EVENTS_STORE = Store(
    "events", "eventstore.sqlite", (*EVENT_TABLES_SQLITE, *EVENT_TABLES_POSTGRES, INGEST_WATERMARKS)
)
"""The event store (stored events, snapshots, tracking records = ingest's positions): its
tables are eventsourcing's, made by the pinned library's recorders (``events_0001``), and
ingest's shared watermark (``events_0002``); the file is ``Settings.sqlite_path``."""
STORES: tuple[Store, ...] = (ALERT_STORE, AUTH_STORE, VAULT_STORE, EVENTS_STORE)
BY_NAME: dict[str, Store] = {s.name: s for s in STORES}

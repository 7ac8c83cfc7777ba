"""The alert router's table catalogue: every table it owns, declared once.

One schema for SQLite and PostgreSQL (text timestamps in a fixed UTC format, JSON as text).
"""

from __future__ import annotations

ALERTS = "alert_alerts"
LOG = "alert_log"
OUTBOX = "alert_outbox"
TABLES = (ALERTS, LOG, OUTBOX)

DDL = (
    f"""CREATE TABLE IF NOT EXISTS {ALERTS} (
        alert_id TEXT PRIMARY KEY, alert_key TEXT NOT NULL, kind TEXT NOT NULL,
        program_id TEXT NOT NULL, group_id TEXT NOT NULL, member_id TEXT,
        status TEXT NOT NULL, raised_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        gravity INTEGER NOT NULL, detail TEXT NOT NULL,
        coordinator_id TEXT, lead_id TEXT, notified_at TEXT, escalate_at TEXT,
        snoozed_until TEXT, snooze_gravity INTEGER, acknowledged_by TEXT, ack_comment TEXT,
        resolved_at TEXT)""",
    f"CREATE INDEX IF NOT EXISTS {ALERTS}_key ON {ALERTS} (alert_key, status)",
    f"CREATE INDEX IF NOT EXISTS {ALERTS}_group ON {ALERTS} (group_id, status)",
    f"""CREATE TABLE IF NOT EXISTS {LOG} (
        alert_id TEXT NOT NULL, event TEXT NOT NULL, at TEXT NOT NULL, by_whom TEXT NOT NULL,
        note TEXT NOT NULL, intent_id TEXT)""",
    f"CREATE INDEX IF NOT EXISTS {LOG}_alert ON {LOG} (alert_id)",
    f"CREATE INDEX IF NOT EXISTS {LOG}_intent ON {LOG} (intent_id)",
    f"""CREATE TABLE IF NOT EXISTS {OUTBOX} (
        notice_key TEXT PRIMARY KEY, alert_id TEXT NOT NULL, purpose TEXT NOT NULL,
        recipient_id TEXT NOT NULL, not_before TEXT NOT NULL, digest_key TEXT,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        channel TEXT, created_at TEXT NOT NULL, delivered_at TEXT)""",
    f"CREATE INDEX IF NOT EXISTS {OUTBOX}_due ON {OUTBOX} (status, not_before)",
)

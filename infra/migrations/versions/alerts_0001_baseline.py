"""alerts baseline: the alert lifecycle, its log and the delivery outbox as release 0.1.0
created them (a store that release made is stamped here, not re-created)."""

from alembic import op

from infra.migrations.catalogue import ALERT_LOG, ALERT_OUTBOX, ALERTS

revision = "alerts_0001"
down_revision = None
branch_labels = ("alerts",)
depends_on = None


def upgrade() -> None:
    op.execute(f"""CREATE TABLE {ALERTS} (
        alert_id TEXT PRIMARY KEY, alert_key TEXT NOT NULL, kind TEXT NOT NULL,
        program_id TEXT NOT NULL, group_id TEXT NOT NULL, member_id TEXT,
        status TEXT NOT NULL, raised_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        gravity INTEGER NOT NULL, detail TEXT NOT NULL,
        coordinator_id TEXT, lead_id TEXT, notified_at TEXT, escalate_at TEXT,
        snoozed_until TEXT, snooze_gravity INTEGER, acknowledged_by TEXT, ack_comment TEXT,
        resolved_at TEXT)""")
    op.execute(f"CREATE INDEX {ALERTS}_key ON {ALERTS} (alert_key, status)")
    op.execute(f"CREATE INDEX {ALERTS}_group ON {ALERTS} (group_id, status)")
    op.execute(f"""CREATE TABLE {ALERT_LOG} (
        alert_id TEXT NOT NULL, event TEXT NOT NULL, at TEXT NOT NULL, by_whom TEXT NOT NULL,
        note TEXT NOT NULL, intent_id TEXT)""")
    op.execute(f"CREATE INDEX {ALERT_LOG}_alert ON {ALERT_LOG} (alert_id)")
    op.execute(f"CREATE INDEX {ALERT_LOG}_intent ON {ALERT_LOG} (intent_id)")
    op.execute(f"""CREATE TABLE {ALERT_OUTBOX} (
        notice_key TEXT PRIMARY KEY, alert_id TEXT NOT NULL, purpose TEXT NOT NULL,
        recipient_id TEXT NOT NULL, not_before TEXT NOT NULL, digest_key TEXT,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        channel TEXT, created_at TEXT NOT NULL, delivered_at TEXT)""")
    op.execute(f"CREATE INDEX {ALERT_OUTBOX}_due ON {ALERT_OUTBOX} (status, not_before)")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

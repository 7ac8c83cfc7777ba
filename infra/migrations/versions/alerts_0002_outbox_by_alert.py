"""alerts: index the outbox by alert. Every decision that supersedes an alert cancels its
pending notices (``UPDATE alert_outbox ... WHERE alert_id = ?``), which scanned the whole
outbox."""

from alembic import op

from infra.migrations.catalogue import ALERT_OUTBOX

revision = "alerts_0002"
down_revision = "alerts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"CREATE INDEX {ALERT_OUTBOX}_alert ON {ALERT_OUTBOX} (alert_id)")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

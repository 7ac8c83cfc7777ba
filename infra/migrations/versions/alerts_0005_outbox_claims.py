"""alerts: several routers share the outbox (decision 0023). A router claims the due
notices it will send — ``claimed_by`` (its id) and ``claimed_until`` (the lease's end, UTC
text like every timestamp here) set in one transaction — so no two routers send the same
notice; a claim whose router died frees itself when the lease runs out. Existing rows start
unclaimed (``NULL``)."""

from alembic import op

from infra.migrations.catalogue import ALERT_OUTBOX

revision = "alerts_0005"
down_revision = "alerts_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"ALTER TABLE {ALERT_OUTBOX} ADD COLUMN claimed_by TEXT")
    op.execute(f"ALTER TABLE {ALERT_OUTBOX} ADD COLUMN claimed_until TEXT")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

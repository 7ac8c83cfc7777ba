"""vault baseline: one key per person, as release 0.1.0 created it (``BYTEA`` on SQLite
too: that release wrote the same statement for both)."""

from alembic import op

from infra.migrations.catalogue import MEMBER_KEYS

revision = "vault_0001"
down_revision = None
branch_labels = ("vault",)
depends_on = None


def upgrade() -> None:
    op.execute(f"CREATE TABLE {MEMBER_KEYS} (member_id TEXT PRIMARY KEY, key BYTEA NOT NULL)")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

"""auth: tokens expire, and dashboard sessions and login links live beside them (release
0.1.0's shape). Tokens stored before have no expiry; they get the lifetime in force when
expiry began (90 days) counted from the upgrade, so nobody is locked out by it.

The upgrade time is the ``now`` the runner was given (the token store's clock), else the
wall clock."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import context, op

from infra.migrations.catalogue import SESSIONS, TOKENS

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None

LIFETIME_THEN = timedelta(days=90)


def upgrade() -> None:
    now = context.config.attributes.get("now") or datetime.now(UTC)
    op.execute(f"ALTER TABLE {TOKENS} ADD COLUMN expires_at TEXT")
    op.execute(
        sa.text(f"UPDATE {TOKENS} SET expires_at = :at WHERE expires_at IS NULL").bindparams(
            at=(now + LIFETIME_THEN).isoformat()
        )
    )
    op.execute(f"""CREATE TABLE {SESSIONS} (
    id_sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, token_id TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL)""")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

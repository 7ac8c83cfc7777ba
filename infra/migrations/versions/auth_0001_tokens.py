"""auth baseline: the token table as the first release with tokens made it (no expiry).

A token table of that shape is stamped here; one with ``expires_at`` (release 0.1.0) is
stamped at ``auth_0002``."""

from alembic import op

from infra.migrations.catalogue import TOKENS

revision = "auth_0001"
down_revision = None
branch_labels = ("auth",)
depends_on = None


def upgrade() -> None:
    op.execute(f"""CREATE TABLE {TOKENS} (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_sha256 TEXT NOT NULL,
    scopes TEXT NOT NULL, programs TEXT NOT NULL,
    created_at TEXT NOT NULL, revoked_at TEXT)""")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

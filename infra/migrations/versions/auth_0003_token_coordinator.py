"""auth: a token may be bound to one coordinator (issue 14: the caseload view).

``coordinator`` holds the coordinator's id; such a token sees only the groups whose
coordinator that is, and their alerts. Tokens stored before stay unbound (``NULL``).
"""

from alembic import op

from infra.migrations.catalogue import TOKENS

revision = "auth_0003"
down_revision = "auth_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"ALTER TABLE {TOKENS} ADD COLUMN coordinator TEXT")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

"""alerts: remember what the coordinator was last told about each alert.

One alert now spans a group's whole risk episode (escalation and de-escalation update it,
decision 0009): a message about a change says what it changed *from*, which is the kind
and gravity the coordinator last read, not the previous intent. Existing alerts start
unknown (``NULL``): their next message reads as a first one.
"""

from alembic import op

from infra.migrations.catalogue import ALERTS

revision = "alerts_0003"
down_revision = "alerts_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"ALTER TABLE {ALERTS} ADD COLUMN told_kind TEXT")
    op.execute(f"ALTER TABLE {ALERTS} ADD COLUMN told_gravity INTEGER")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

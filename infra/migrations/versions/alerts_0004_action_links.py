"""alerts: signed action links in messages (acknowledge, snooze a week, "I reached out",
"the group has ended"; decision 0009). ``alert_link_keys`` holds the signing secret the
router and the API share when ``PEERPULSE_LINK_SECRET`` is not set (made on first use);
``alert_link_uses`` records each link's nonce when it is used, so a link works once."""

from alembic import op

from infra.migrations.catalogue import ALERT_LINK_KEYS, ALERT_LINK_USES

revision = "alerts_0004"
down_revision = "alerts_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"""CREATE TABLE {ALERT_LINK_KEYS} (name TEXT PRIMARY KEY,
        secret TEXT NOT NULL, created_at TEXT NOT NULL)""")
    op.execute(f"""CREATE TABLE {ALERT_LINK_USES} (nonce TEXT PRIMARY KEY,
        alert_id TEXT NOT NULL, action TEXT NOT NULL, recipient TEXT NOT NULL,
        used_at TEXT NOT NULL)""")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

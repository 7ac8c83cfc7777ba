"""events: the event-time progress of each attendance partition, shared by the ingest
processes that divide the topic (decision 0024). Each owner writes its partitions' rows —
lagging or caught up, the newest event time applied, the newest seen — under the epoch it
claimed the partition with (and its pid and host, which `peerpulse status` shows); a row
only takes a write of the same or a newer epoch. Ticks
follow the oldest lagging partition of the whole topic, so no single process must own every
partition. Rows are coordination state, rewritten by the owners as they run: a store made
before this revision simply starts without any."""

from alembic import op

from infra.migrations.catalogue import INGEST_WATERMARKS

revision = "events_0002"
down_revision = "events_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = (
        "topic TEXT NOT NULL",
        "partition INTEGER NOT NULL",
        "epoch BIGINT NOT NULL",
        "lagging BOOLEAN NOT NULL",
        "applied_until TEXT",  # ISO UTC; NULL: nothing applied by this owner yet
        "seen TEXT",  # the newest event time its owner has applied on any partition
        "updated_at TEXT NOT NULL",
        "owner_pid INTEGER",  # the process that wrote the row: `peerpulse status` shows it
        "owner_host TEXT",
        "PRIMARY KEY (topic, partition)",
    )
    op.execute(f"CREATE TABLE {INGEST_WATERMARKS} ({', '.join(columns)})")


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

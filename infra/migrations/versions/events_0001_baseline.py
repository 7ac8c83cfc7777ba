"""events baseline: the event store's tables — stored events, snapshots and tracking records
(ingest's positions) — as the pinned ``eventsourcing`` makes them, made by its own recorders.

This revision copies no DDL (decision 0018, point 7): it builds the recorders the
EngagementApp uses (a process recorder and the snapshots' aggregate recorder, with the
app's env) and runs their table-creating statements on the migration's connection, inside
its transaction — what their ``create_table()`` runs in a transaction of its own, including
the tracking table's ``__migration__`` record. An ``eventsourcing`` upgrade that changes
its tables is a new revision."""

from __future__ import annotations

import contextlib
from typing import Any

from alembic import op
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from infra.eventstore import eventstore_env
from infra.migrations.catalogue import EVENTS_APP

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = None


def upgrade() -> None:
    settings = op.get_context().config.attributes["settings"]
    env = {**eventstore_env(settings), "CREATE_TABLE": "no", "IS_SNAPSHOTTING_ENABLED": "y"}
    factory: Any = InfrastructureFactory.construct(Environment(EVENTS_APP, env))
    try:
        recorders = [factory.process_recorder(), factory.aggregate_recorder("snapshots")]
        raw = op.get_bind().connection.dbapi_connection
        for recorder in recorders:
            if settings.store == "sqlite":
                recorder._create_table(raw.cursor())
            else:
                _create_postgres(raw, recorder)
    finally:
        factory.close()


def _create_postgres(raw: Any, recorder: Any) -> None:
    """``PostgresRecorder.create_table()`` in our transaction: its types first (each in a
    savepoint: a type has no ``IF NOT EXISTS``), then its tables, indexes and functions."""
    from psycopg.errors import DuplicateObject

    for statement in recorder.sql_create_statements:
        if "CREATE TYPE" in statement.as_string():
            with contextlib.suppress(DuplicateObject), raw.transaction():
                raw.execute(statement, prepare=False)
    recorder._create_table(raw.cursor())


def downgrade() -> None:
    raise NotImplementedError("peerpulse migrations only go forward")

"""Alembic's environment: runs the revisions on the connection :mod:`infra.migrations.runner`
opened (already inside its transaction and, on PostgreSQL, under the setup lock)."""

from __future__ import annotations

from alembic import context

from infra.migrations.catalogue import VERSION_TABLE

_attrs = context.config.attributes
context.configure(
    connection=_attrs["connection"],
    version_table=VERSION_TABLE,
    version_table_schema=_attrs.get("schema"),
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()

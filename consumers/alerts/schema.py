"""The alert router's tables, by the names the migrations give them.

The tables themselves (columns, indexes) are created and changed only by the ``alerts``
branch of :mod:`infra.migrations` (decision 0018); the names are declared once, in
:mod:`infra.migrations.catalogue`. One schema for SQLite and PostgreSQL (text timestamps in
a fixed UTC format, JSON as text).
"""

from __future__ import annotations

from infra.migrations.catalogue import ALERT_LINK_KEYS as LINK_KEYS
from infra.migrations.catalogue import ALERT_LINK_USES as LINK_USES
from infra.migrations.catalogue import ALERT_LOG as LOG
from infra.migrations.catalogue import ALERT_OUTBOX as OUTBOX
from infra.migrations.catalogue import ALERT_STORE, ALERTS

TABLES = ALERT_STORE.tables
__all__ = ["ALERTS", "ALERT_STORE", "LINK_KEYS", "LINK_USES", "LOG", "OUTBOX", "TABLES"]

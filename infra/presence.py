"""Processes that share a role instead of holding it alone (the alert routers on
PostgreSQL, decision 0023): each marks itself for ``peerpulse status`` with a *shared*
session-level advisory lock on the role's lock key (:func:`infra.singleton._key`), on a
connection of its own whose ``application_name`` carries its pid. A shared lock never
refuses anyone; the server drops it with the session, so a SIGKILLed process disappears
from the list a moment after its death. :func:`infra.lock_holder.sharers` lists them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from infra.settings import Settings


@contextmanager
def sharing(settings: Settings, name: str) -> Iterator[None]:
    """Be listed as one of the processes of role ``name`` while the block runs."""
    from infra.singleton import _key
    from infra.sql import postgres

    label = f"peerpulse {name} pid={os.getpid()}"[:63]
    conn = postgres(settings, autocommit=True, application_name=label)
    try:
        conn.execute("SELECT pg_advisory_lock_shared(%s)", (_key(settings, name),))
        yield
    finally:
        with suppress(Exception):
            conn.close()

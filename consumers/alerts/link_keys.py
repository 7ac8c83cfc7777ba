"""The action-link signer the router and the API share (decision 0009).

``PEERPULSE_LINK_SECRET`` when set; otherwise a random secret made on first use and kept
in the alert store (``alert_link_keys``), which every process that makes or checks links
already opens, so a link the router wrote is one the API can check on another host. The
first process to need it makes it; a second one racing it reads the winner's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from consumers.alerts.schema import LINK_KEYS
from consumers.alerts.sql import Database, ts
from infra.links import LinkSigner

NAME = "action-links"


def stored_secret(db: Database) -> bytes:
    """The alert store's link secret, made now if it has none."""
    with db.tx() as tx:
        tx.run(
            f"INSERT INTO {LINK_KEYS} (name, secret, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (NAME, secrets.token_urlsafe(32), ts(datetime.now(UTC))),
        )
        return tx.run(f"SELECT secret FROM {LINK_KEYS} WHERE name = ?", (NAME,))[0][0].encode()


def signer(configured: str, db: Database) -> LinkSigner:
    """The signer from the configured secret, else from the store's."""
    return LinkSigner(configured.encode() if configured else stored_secret(db))

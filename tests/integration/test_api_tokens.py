"""The token table works the same on SQLite and PostgreSQL, including its upgrade."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from api.auth.store import TokenStore
from api.auth.tokens import hash_secret, new_secret, token_id_of
from infra.sql import connect, is_postgres, placeholders


def test_token_lifecycle_on_each_backend(store_settings):
    store = TokenStore(store_settings)
    program = uuid.uuid4()
    token, secret = store.create("coord", ["read", "ingest"], [program])
    store.ping()
    assert store.authenticate(secret) == token
    assert [t.id for t in TokenStore(store_settings).list()] == [token.id]
    assert store.revoke(token.id)
    assert store.authenticate(secret) is None
    assert store.get(token.id).revoked_at is not None


OLD_TABLE = """CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_sha256 TEXT NOT NULL,
    scopes TEXT NOT NULL, programs TEXT NOT NULL,
    created_at TEXT NOT NULL, revoked_at TEXT)"""


def test_a_token_table_from_before_expiry_is_upgraded_in_place(store_settings):
    """The table as the release without expiry made it, with a token in it."""
    _, secret = new_secret()
    conn = connect(store_settings, store_settings.data_dir / "api.sqlite")
    conn.execute(OLD_TABLE)
    conn.execute(placeholders("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, NULL)",
                              is_postgres(store_settings)),
                 (token_id_of(secret), "legacy", hash_secret(secret), "read", "",
                  "2024-01-01T00:00:00+00:00"))  # fmt: skip
    conn.close()
    upgraded_at = datetime(2025, 3, 3, 12, tzinfo=UTC)

    store = TokenStore(store_settings, clock=lambda: upgraded_at)
    token = store.authenticate(secret)
    assert token is not None and token.name == "legacy"
    assert token.expires_at == upgraded_at + timedelta(days=90)
    new, _ = store.create("new", ["ingest"])
    assert [t.name for t in store.list()] == ["legacy", "new"]
    again = TokenStore(store_settings, clock=lambda: upgraded_at + timedelta(days=1))
    assert again.authenticate(secret) == token  # a second start changes nothing
    late = TokenStore(store_settings, clock=lambda: upgraded_at + timedelta(days=91))
    assert late.authenticate(secret) is None
    assert "expired" in late.check(secret)[1]

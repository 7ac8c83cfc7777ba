"""The token table works the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from api.auth.store import TokenStore


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

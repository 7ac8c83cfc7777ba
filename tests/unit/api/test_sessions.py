"""Tokens expire; the dashboard signs in to a server-side session whose cookie is random.

The clock is injected (:class:`FakeClock`), so expiry is tested without waiting.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth.store import TokenStore
from api.auth.tokens import hash_secret
from peerpulse.build import build
from tests.unit.api import seed
from tests.unit.api.clock import FakeClock
from tests.unit.api.conftest import FakePublisher, bearer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _app(settings, clock):
    container = build(settings, attendance_publisher=FakePublisher(), app=seed.FakeApp(),
                      token_store=TokenStore(settings, clock=clock))  # fmt: skip
    return container, TestClient(create_app(container), raise_server_exceptions=False)


@pytest.fixture
def app(sqlite_settings, clock):
    seed.seed_readmodel(sqlite_settings)
    seed.seed_alerts(sqlite_settings)
    container, client = _app(sqlite_settings, clock)
    with client:
        yield container.token_store, client
    container.close()


def _cookie(response) -> tuple[str, str]:
    header = response.headers["set-cookie"]
    name, _, rest = header.partition("=")
    return name, rest.split(";")[0]


def test_a_token_is_refused_with_401_once_its_short_lifetime_is_over(app, clock):
    store, client = app
    token, secret = store.create("ci", ["read"], lifetime=timedelta(hours=1))
    assert token.expires_at == clock.now + timedelta(hours=1)
    assert client.get("/v1/programs", headers=bearer(secret)).status_code == 200
    clock.advance(minutes=61)
    response = client.get("/v1/programs", headers=bearer(secret))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "expired" in response.json()["error"]["message"]
    assert store.authenticate(secret) is None


def test_tokens_live_90_days_by_default(app, clock):
    store, client = app
    token, secret = store.create("ops", ["read"])
    assert token.expires_at - token.created_at == timedelta(days=90)
    clock.advance(days=89, hours=23)
    assert client.get("/v1/programs", headers=bearer(secret)).status_code == 200
    clock.advance(hours=1)
    assert client.get("/v1/programs", headers=bearer(secret)).status_code == 401


def test_the_cookie_is_a_random_session_id_not_the_secret(client, container, tokens):
    secret = tokens["coord"]
    values = []
    for _ in range(2):
        response = client.get(f"/login?token={secret}", follow_redirects=False)
        assert response.status_code == 303
        name, value = _cookie(response)
        values.append(value)
        assert secret not in value and secret.split("_", 2)[2] not in value
        assert value != hash_secret(secret) and hash_secret(secret) not in value
        assert name == "pp_session"
    assert values[0] != values[1]  # the same secret gives unrelated session ids
    store = container.token_store
    stored = {row[0] for row in store._run("SELECT id_sha256 FROM {sessions}")}
    assert stored == {hash_secret(v) for v in values}  # only hashes are kept


def test_cookie_flags_and_secure_when_the_public_url_is_https(sqlite_settings, clock):
    settings = sqlite_settings.model_copy(update={"public_url": "https://pp.example.org"})
    container, client = _app(settings, clock)
    _, secret = container.token_store.create("coord", ["read"])
    with client:
        header = client.get(f"/login?token={secret}", follow_redirects=False).headers["set-cookie"]
    assert "HttpOnly" in header and "samesite=strict" in header.lower() and "Secure" in header
    container.close()


def test_logout_deletes_the_session_server_side(app):
    store, client = app
    _, secret = store.create("ops", ["read"])
    _, session = _cookie(client.get(f"/login?token={secret}", follow_redirects=False))
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 200
    client.cookies.set("pp_session", session)  # a stolen copy of the cookie
    assert client.get("/").status_code == 401
    assert store._run("SELECT COUNT(*) FROM {sessions}") == [(0,)]


def test_a_session_ends_no_later_than_its_token_and_with_its_revocation(app, clock):
    store, client = app
    token, secret = store.create("ops", ["read"], lifetime=timedelta(days=2))
    response = client.get(f"/login?token={secret}", follow_redirects=False)
    assert "Max-Age=172800" in response.headers["set-cookie"]
    clock.advance(days=2)
    assert client.get("/").status_code == 401
    token, secret = store.create("ops2", ["read"])
    client.get(f"/login?token={secret}")
    assert client.get("/").status_code == 200
    store.revoke(token.id)
    assert client.get("/").status_code == 401


def test_a_login_link_signs_in_once_within_15_minutes(app, clock):
    store, client = app
    token, _ = store.create("coord", ["read"], [seed.PROGRAM_A])
    code = store.sessions.new_link(token)
    assert client.get(f"/login?token={code}", follow_redirects=False).status_code == 303
    assert "Founders 2025" in client.get("/").text
    client.cookies.clear()
    assert client.get(f"/login?token={code}").status_code == 401  # used already
    late = store.sessions.new_link(token)
    clock.advance(minutes=16)
    response = client.get(f"/login?token={late}")
    assert response.status_code == 401 and "expired" in response.text


def test_the_sign_in_form_posts_the_token(app):
    store, client = app
    _, secret = store.create("ops", ["read"])
    assert 'method="post" action="/login"' in client.get("/").text
    form = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/login", content=f"token={secret}".encode(), headers=form,
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert client.get("/").status_code == 200

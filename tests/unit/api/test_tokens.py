"""API tokens: secrets are shown once, stored hashed, scoped, program-restricted, revocable."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta

import pytest

from api.auth.store import TokenStore
from api.auth.tokens import Scope, hash_secret, token_id_of
from peerpulse.cli import main

PROGRAM = uuid.UUID("6f1c7a3e-0000-4000-8000-000000000001")
OTHER = uuid.UUID("6f1c7a3e-0000-4000-8000-000000000002")


@pytest.fixture
def store(sqlite_settings) -> TokenStore:
    return TokenStore(sqlite_settings)


def test_created_secret_authenticates_and_only_its_hash_is_stored(store, sqlite_settings):
    token, secret = store.create("alice", ["read"], [PROGRAM])
    assert store.authenticate(secret) == token
    with sqlite3.connect(sqlite_settings.data_dir / "api.sqlite") as conn:
        dump = "\n".join(conn.iterdump())
    assert secret not in dump
    assert hash_secret(secret) in dump


def test_wrong_malformed_and_revoked_secrets_do_not_authenticate(store):
    token, secret = store.create("bob", ["ingest"])
    assert store.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.authenticate("not-a-token") is None
    assert store.authenticate(f"ppt_{token.id}_") is None
    assert store.revoke(token.id) is True
    assert store.authenticate(secret) is None
    assert store.revoke(token.id) is False


def test_program_scoping_and_admin_sees_everything(store):
    coordinator, _ = store.create("coord", ["read"], [PROGRAM])
    ops, _ = store.create("ops", ["read"])
    admin, _ = store.create("root", ["admin"], [PROGRAM])
    assert coordinator.sees(PROGRAM) and not coordinator.sees(OTHER)
    assert not coordinator.sees("garbage") and not coordinator.sees(None)
    assert ops.sees(OTHER) and admin.sees(OTHER)
    assert coordinator.allows(Scope.READ) and not coordinator.allows(Scope.INGEST)
    assert admin.allows(Scope.INGEST) and admin.allows(Scope.READ)


def test_list_returns_tokens_without_secrets(store):
    store.create("a", ["read"])
    store.create("b", ["ingest", "read"], [PROGRAM, OTHER])
    names = [(t.name, sorted(t.scopes), len(t.programs)) for t in store.list()]
    assert names == [("a", ["read"], 0), ("b", ["ingest", "read"], 2)]


def test_secret_embeds_the_token_id():
    assert token_id_of("ppt_abc123_x_y") == "abc123"
    assert token_id_of("ppt__x") is None


def test_cli_create_prints_secret_once_then_list_and_revoke(sqlite_settings, capsys, monkeypatch):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    assert main(["tokens", "create", "--scope", "read", "--program", str(PROGRAM),
                 "--name", "coord"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    secret = next(line for line in out.splitlines() if line.startswith("ppt_"))
    token = TokenStore(sqlite_settings).authenticate(secret)
    assert token is not None and token.programs == {PROGRAM}
    link = next(line for line in out.splitlines() if line.startswith("dashboard"))
    assert secret not in link and "/login?token=ppl_" in link
    assert main(["tokens", "list"]) == 0
    listing = capsys.readouterr().out
    assert token.id in listing and secret not in listing and "active" in listing
    assert f"expires {token.expires_at:%Y-%m-%d}" in listing
    assert main(["tokens", "revoke", token.id]) == 0
    assert main(["tokens", "revoke", token.id]) == 2
    assert "revoked" in capsys.readouterr().out


def test_cli_rejects_a_program_that_is_not_a_uuid(capsys):
    with pytest.raises(SystemExit):
        main(["tokens", "create", "--scope", "read", "--program", "p1", "--name", "x"])
    assert "not a program id" in capsys.readouterr().err


def test_cli_expires_in_sets_the_lifetime_and_list_shows_it(sqlite_settings, capsys, monkeypatch):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    assert main(["tokens", "create", "--scope", "ingest", "--name", "ci",
                 "--expires-in", "7"]) == 0  # fmt: skip
    secret = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("ppt_"))
    token = TokenStore(sqlite_settings).authenticate(secret)
    assert token.expires_at - token.created_at == timedelta(days=7)
    assert main(["tokens", "list"]) == 0
    assert f"expires {token.expires_at:%Y-%m-%d}" in capsys.readouterr().out


@pytest.mark.parametrize("days", ["0", "-3", "abc", "1.5", "3651", ""])
def test_cli_refuses_a_bad_expiry_in_one_line(sqlite_settings, capsys, monkeypatch, days):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    code = main(["tokens", "create", "--scope", "read", "--name", "x", "--expires-in", days])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--expires-in must be a whole number of days" in err
    assert TokenStore(sqlite_settings).list() == []


def test_cli_link_prints_a_fresh_one_time_login_link(sqlite_settings, capsys, monkeypatch):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    store = TokenStore(sqlite_settings)
    token, _ = store.create("coord", ["read"])
    assert main(["tokens", "link", token.id]) == 0
    code = capsys.readouterr().out.strip().rsplit("token=", 1)[1]
    assert store.sessions.redeem(code) == (token, None)
    assert store.sessions.redeem(code)[0] is None
    store.revoke(token.id)
    assert main(["tokens", "link", token.id]) == 2
    assert "revoked" in capsys.readouterr().err

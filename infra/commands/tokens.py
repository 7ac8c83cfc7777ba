"""``peerpulse tokens``: create, list and revoke API tokens (the secret is printed once)."""

from __future__ import annotations

import argparse
from uuid import UUID

from infra.errors import UserFacingError
from infra.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``tokens create|list|revoke``."""
    p = sub.add_parser("tokens", help="manage API tokens")
    tsub = p.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    c = tsub.add_parser("create", help="create a token and print its secret once")
    c.add_argument("--name", required=True, help="who or what the token is for")
    c.add_argument(
        "--scope", action="append", required=True, choices=["ingest", "read", "admin"],
        help="ingest: POST attendance; read: dashboards, queries, acknowledging alerts; "
        "admin: everything (repeatable)",
    )  # fmt: skip
    c.add_argument(
        "--program", action="append", default=[], type=_uuid, metavar="ID",
        help="restrict to this program (repeatable; none: every program)",
    )  # fmt: skip
    c.set_defaults(handler=_create)
    tsub.add_parser("list", help="list tokens (never their secrets)").set_defaults(handler=_list)
    r = tsub.add_parser("revoke", help="revoke a token by id")
    r.add_argument("id")
    r.set_defaults(handler=_revoke)


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a program id (UUID): {value!r}") from None


def _store(settings: Settings):
    from api.auth.store import TokenStore

    return TokenStore(settings)


def _create(args: argparse.Namespace, settings: Settings) -> int:
    token, secret = _store(settings).create(args.name, args.scope, args.program)
    programs = ", ".join(sorted(map(str, token.programs))) or "all"
    print(f"token {token.id} ({args.name}) scopes={','.join(sorted(token.scopes))} "
          f"programs={programs}")  # fmt: skip
    print("secret (shown once, store it now):")
    print(secret)
    print(f"dashboard: {settings.public_url.rstrip('/')}/login?token={secret}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    tokens = _store(settings).list()
    if not tokens:
        print("no tokens")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        programs = ",".join(sorted(map(str, t.programs))) or "all"
        print(f"{t.id}\t{t.name}\t{','.join(sorted(t.scopes))}\t{programs}\t"
              f"created {t.created_at:%Y-%m-%d}\t{state}")  # fmt: skip
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    if not _store(settings).revoke(args.id):
        raise UserFacingError(f"no active token with id {args.id}")
    print(f"token {args.id} revoked")
    return 0

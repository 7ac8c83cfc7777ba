"""``peerpulse tokens``: create, list, revoke API tokens and print one-time login links.

A token's secret is printed once; the login link beside it signs in to the dashboard once,
within 15 minutes, and never carries the secret.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from uuid import UUID

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import API, TOKENS

DEFAULT_DAYS = 90
MAX_DAYS = 3650


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``tokens create|list|revoke|link``."""
    p = sub.add_parser("tokens", help="manage API tokens")
    tsub = p.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    c = tsub.add_parser("create", help="create a token and print its secret once")
    c.add_argument("--name", required=True, help="who or what the token is for")
    c.add_argument(
        "--scope", action="append", required=True, choices=["ingest", "read", "ops", "admin"],
        help="ingest: POST attendance; read: dashboards, queries, acknowledging alerts; "
        "ops: the pipeline's status (GET /v1/status); admin: everything (repeatable)",
    )  # fmt: skip
    c.add_argument(
        "--program", action="append", default=[], type=_uuid, metavar="ID",
        help="restrict to this program (repeatable; none: every program)",
    )  # fmt: skip
    c.add_argument(
        "--coordinator", metavar="ID",
        help="bind the token to one coordinator: it sees only the groups that coordinator is "
        "responsible for (their caseload) and those groups' alerts; their peerpulse id "
        "(UUID), or with --source the id the sending system uses",
    )  # fmt: skip
    c.add_argument(
        "--source", metavar="SYSTEM",
        help="with --coordinator: the system whose id it is (the messages' CloudEvents "
        "source, e.g. lms.northbridge.edu)",
    )  # fmt: skip
    c.add_argument(
        "--expires-in", default=str(DEFAULT_DAYS), metavar="DAYS",
        help=f"days until the token expires (1 to {MAX_DAYS}; default {DEFAULT_DAYS})",
    )  # fmt: skip
    c.set_defaults(handler=_create, uses=(TOKENS, API))
    ls = tsub.add_parser("list", help="list tokens (never their secrets)")
    ls.set_defaults(handler=_list, uses=(TOKENS,))
    r = tsub.add_parser("revoke", help="revoke a token by id")
    r.add_argument("id", help="the token's id or a unique prefix of it")
    r.set_defaults(handler=_revoke, uses=(TOKENS,))
    k = tsub.add_parser("link", help="print a one-time dashboard login link for a token")
    k.add_argument("id", help="the token's id or a unique prefix of it")
    k.set_defaults(handler=_link, uses=(TOKENS, API))


def token_id(store, given: str) -> str:
    """The stored token id that ``given`` is, or uniquely begins."""
    from peerpulse.commands.ids import from_ids, resolve

    return resolve(given, "token", from_ids([t.id for t in store.list()]))


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a program id (UUID): {value!r}") from None


def coordinator_id(given: str | None, source: str | None) -> UUID | None:
    """``--coordinator`` as a peerpulse id: a UUID as given, or derived from the sending
    system's own id and ``--source`` exactly as ingest derives it."""
    from domain.ids import derive_id

    if given is None:
        if source is not None:
            raise UserFacingError("--source only goes with --coordinator")
        return None
    if source:
        return derive_id("coordinator", source, given.strip())
    try:
        return UUID(given)
    except ValueError:
        raise UserFacingError(
            f"--coordinator {given!r} is not a peerpulse id (UUID): give the id the sending "
            "system uses together with --source SYSTEM"
        ) from None


def lifetime(days: str) -> timedelta:
    """``--expires-in``: a whole number of days in range, else one line saying so."""
    try:
        value = int(days.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_DAYS:
        raise UserFacingError(
            f"--expires-in must be a whole number of days from 1 to {MAX_DAYS}, not {days!r}"
        )
    return timedelta(days=value)


def _store(settings: Settings):
    from peerpulse.build import build

    return build(settings).token_store


def _login_line(settings: Settings, code: str) -> str:
    base = settings.public_url.rstrip("/")
    return f"dashboard (one sign-in, within 15 minutes): {base}/login?token={code}"


def _create(args: argparse.Namespace, settings: Settings) -> int:
    days = lifetime(args.expires_in)
    coordinator = coordinator_id(args.coordinator, args.source)
    store = _store(settings)
    token, secret = store.create(args.name, args.scope, args.program, lifetime=days,
                                 coordinator=coordinator)  # fmt: skip
    programs = ", ".join(sorted(map(str, token.programs))) or "all"
    bound = f" coordinator={token.coordinator}" if token.coordinator else ""
    print(f"token {token.id} ({args.name}) scopes={','.join(sorted(token.scopes))} "
          f"programs={programs}{bound} expires={token.expires_at:%Y-%m-%d %H:%M} UTC")  # fmt: skip
    print("secret (shown once, store it now):")
    print(secret)
    print(_login_line(settings, store.sessions.new_link(token)))
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    now = store.clock()
    tokens = store.list()
    if not tokens:
        print("no tokens")
    for t in tokens:
        if t.revoked_at:
            state = f"revoked {t.revoked_at:%Y-%m-%d}"
        else:
            state = "expired" if t.expired(now) else "active"
        expires = f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "never expires"
        programs = ",".join(sorted(map(str, t.programs))) or "all"
        bound = f"\tcoordinator {t.coordinator}" if t.coordinator else ""
        print(f"{t.id}\t{t.name}\t{','.join(sorted(t.scopes))}\t{programs}\t"
              f"created {t.created_at:%Y-%m-%d}\t{expires}\t{state}{bound}")  # fmt: skip
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    tid = token_id(store, args.id)
    if not store.revoke(tid):
        raise UserFacingError(f"token {tid} is already revoked")
    print(f"token {tid} revoked")
    return 0


def _link(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    token = store.get(token_id(store, args.id))
    refusal = token.refusal(store.clock()) if token else f"no token with id {args.id}"
    if refusal:
        raise UserFacingError(refusal)
    print(_login_line(settings, store.sessions.new_link(token)))
    return 0

"""``peerpulse members forget ID``: crypto-shred a member's personal data.

``ID`` is the member's UUID or the ``source:external_id`` pair other systems know
them by. The member's key is destroyed and ``Member.Forgotten`` recorded; their
groups and attendance history stay, under a pseudonym.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from uuid import UUID

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import STORE


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``members`` command group."""
    members = sub.add_parser("members", help="manage members' personal data")
    actions = members.add_subparsers(dest="members_command", metavar="ACTION", required=True)
    forget = actions.add_parser("forget", help="destroy a member's personal data for good")
    forget.add_argument("id", help="member UUID or source:external_id")
    forget.set_defaults(handler=_forget, uses=(STORE,))


def parse_member_id(raw: str) -> UUID:
    """A UUID, or the derived id of ``source:external_id``."""
    from domain.ids import derive_id

    try:
        return UUID(raw)
    except ValueError:
        pass
    source, sep, external_id = raw.partition(":")
    if not (sep and source and external_id):
        raise UserFacingError(f"{raw!r} is neither a UUID nor source:external_id")
    return derive_id("member", source, external_id)


def forget(settings: Settings, raw_id: str, now: datetime | None = None) -> UUID:
    """Forget the member named by ``raw_id``; a clean error if there is no such member."""
    from domain.errors import DomainError
    from peerpulse.build import build

    member_id = parse_member_id(raw_id)
    parts = build(settings)
    try:
        parts.app.forget_member(member_id, now or datetime.now(UTC))
    except DomainError as exc:
        raise UserFacingError(f"cannot forget {raw_id}: {exc}") from None
    finally:
        parts.close()
    return member_id


def _forget(args: argparse.Namespace, settings: Settings) -> int:
    member_id = forget(settings, args.id)
    print(f"forgot member {member_id}: personal data destroyed")
    return 0

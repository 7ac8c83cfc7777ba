"""``peerpulse unmatched list|map|reject``: attendance the roster did not know (decision 0021).

``list`` shows a program's held items (``--all``: with what became of resolved ones);
``map ITEM --member M`` / ``--group G`` applies an item to a member or group the roster
knows (the sender's id is matched to it from then on); ``reject ITEM --reason`` drops
it with a record. Map and reject are ``unmatched.mapped``/``.rejected`` ingest messages,
applied through the same decoder and mapper as Kafka input, straight to the store (like
``peerpulse onboard``); a refusal is one line and exit 1.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from typing import Any

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import STORE

UUID_TEXT = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("unmatched", help="attendance naming a group or member the roster "
                       "does not know: list, map or reject it")  # fmt: skip
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="a program's held attendance")
    listing.add_argument("--all", action="store_true", help="also what became of resolved items")
    mapping = actions.add_parser("map", help="apply an item to a known member or group")
    target = mapping.add_mutually_exclusive_group(required=True)
    target.add_argument("--member", help="the member it meant: the source's id or a peerpulse id")
    target.add_argument("--group", help="the group it meant: the source's id or a peerpulse id")
    rejecting = actions.add_parser("reject", help="drop an item, with a record of why")
    rejecting.add_argument("--reason", default="", help="why (kept with the record)")
    for a in (listing, mapping, rejecting):
        a.add_argument("--source", required=True, help="the program's sender (its ids' source)")
        a.add_argument("--program", required=True, help="the program's id at that source")
        if a is not listing:
            a.add_argument("item", help="the item's id (from `peerpulse unmatched list`)")
            a.add_argument("--by", default="operator", help="who decides (a coordinator id)")
        a.set_defaults(handler=_run, uses=(STORE,))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from domain.ids import derive_id
    from peerpulse.build import build

    parts = build(settings)
    try:
        if args.action == "list":
            inbox = parts.app.unmatched(derive_id("program", args.source, args.program))
            for line in _listing(inbox, args.all):
                print(line)
            return 0
        return _decide(parts.app, args)
    finally:
        parts.close()


def _listing(inbox: Any, everything: bool) -> list[str]:
    """One line per open item (oldest first), then resolved ones with ``everything``."""
    if inbox is None or not (inbox.open or (everything and inbox.closed)):
        return ["nothing unmatched"]
    lines = [_line(i, "open") for i in sorted(inbox.open.values(), key=lambda i: i["at"])]
    if everything:
        for done in sorted(inbox.closed.values(), key=lambda c: c["at"]):
            why = f" ({done['reason']})" if done.get("reason") else ""
            who = f" by {done['by']}" if done.get("by") else ""
            lines.append(_line(done["item"], f"{done['outcome']}{who}{why}"))
    return lines


def _line(item: dict[str, Any], state: str) -> str:
    marks = ", ".join(f"{ext} {status}" for _, ext, status in item["marks"]) or "no marks"
    return (f"{item['item']}  {state:<8} {item['reason']:<14} group {item['group']} session "
            f"{item['session']} at {item['at']}: {marks}")  # fmt: skip


def _decide(app: Any, args: argparse.Namespace) -> int:
    import sys

    from consumers.ingest.mapper import apply
    from domain.errors import DomainError
    from domain.ids import derive_id
    from infra.contract.inbound import unmatched as u
    from infra.contract.inbound.decoder import Rejection, decode

    now = datetime.now(UTC)
    common = {"source": args.source, "program": args.program, "item": args.item,
              "coordinator": args.by, "occurred_at": now}  # fmt: skip
    try:
        if args.action == "map":
            kind, value = ("member", args.member) if args.member else ("group", args.group)
            target = value if UUID_TEXT.match(value) else str(derive_id(kind, args.source, value))
            message = u.mapped_message(**common, **{f"to_{kind}": target})
        else:
            message = u.rejected_message(**common, reason=args.reason)
    except u.InvalidUnmatched as exc:
        raise UserFacingError(str(exc)) from exc
    command = decode(u.encoded(message), None, now)
    if isinstance(command, Rejection):
        raise UserFacingError(command.reason)
    try:
        with app.batch():
            apply(app, command)
    except DomainError as exc:
        print(f"refused: {exc.code}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.item}: {'mapped' if args.action == 'map' else 'rejected'}")
    return 0

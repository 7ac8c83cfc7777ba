"""``peerpulse groups intervene GROUP``: log what a coordinator did for a group (decision 0019).

``GROUP`` and ``--coordinator`` are peerpulse ids (as the dashboard and the API show
them), or with ``--source S --program P`` that sender's own ids. The intervention is an
``intervention.logged`` ingest message applied through the same decoder and mapper as
Kafka input, straight to the store (like ``peerpulse onboard``): ``ended`` concludes the
group, ``merged --merged-into G`` dissolves it into G. A refusal is one line and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import STORE

KINDS = ("call", "message", "meeting", "merged", "ended")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``groups`` command group."""
    p = sub.add_parser("groups", help="act on a group: log an intervention")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    act = actions.add_parser("intervene", help="log a call, message, meeting, merge or end")
    act.add_argument("group", help="the group's peerpulse id (or, with --source, the sender's)")
    act.add_argument("--kind", required=True, choices=KINDS, help="what the coordinator did")
    act.add_argument("--coordinator", required=True, help="who acted: their id")
    act.add_argument("--note", default="", help="a short note (no personal data), ≤ 500 chars")
    act.add_argument("--merged-into", help="for --kind merged: the group the members joined")
    act.add_argument("--source", help="ids are this sender's (then --program is required)")
    act.add_argument("--program", help="with --source: the program's id at that source")
    act.set_defaults(handler=_intervene, uses=(STORE,))


def _peerpulse_ids(app: Any, args: argparse.Namespace) -> tuple[str, str]:
    """``(source, program)`` for a message naming peerpulse ids."""
    from domain.errors import UnknownGroup
    from infra.contract.inbound.ids import PEERPULSE_IDS

    try:
        group = app.get_group(UUID(args.group))
    except ValueError:
        raise UserFacingError(f"group {args.group!r} is not a peerpulse id; give --source "
                              "and --program to use a sender's ids") from None  # fmt: skip
    except UnknownGroup:
        raise UserFacingError(f"no group {args.group}") from None
    return PEERPULSE_IDS, str(group.program_id)


def _intervene(args: argparse.Namespace, settings: Settings) -> int:
    from consumers.ingest.mapper import apply
    from domain.errors import DomainError
    from infra.contract.inbound import interventions as iv
    from infra.contract.inbound.decoder import Rejection, decode
    from peerpulse.build import build

    if bool(args.source) != bool(args.program):
        raise UserFacingError("--source and --program go together")
    parts = build(settings)
    try:
        source, program = ((args.source, args.program) if args.source
                           else _peerpulse_ids(parts.app, args))  # fmt: skip
        now = datetime.now(UTC)
        try:
            message = iv.intervention_message(
                source=source, program=program, group=args.group, coordinator=args.coordinator,
                kind=args.kind, occurred_at=now, note=args.note, merged_into=args.merged_into,
            )  # fmt: skip
        except iv.InvalidIntervention as exc:
            raise UserFacingError(str(exc)) from exc
        command = decode(iv.encoded(message), None, now)
        if isinstance(command, Rejection):
            raise UserFacingError(command.reason)
        try:
            with parts.app.batch():
                apply(parts.app, command)
        except DomainError as exc:
            print(f"refused: {exc.code}: {exc}", file=sys.stderr)
            return 1
    finally:
        parts.close()
    print(f"{args.group}: {args.kind} logged by {args.coordinator}")
    return 0

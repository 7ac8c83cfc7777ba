"""``peerpulse status``: who runs each role, which partitions it owns, and how far behind it is.

Reads :class:`api.status.Status` (the same facts as ``GET /v1/status`` and the demo's
catch-up wait) and prints a table, or JSON with ``--json``; ``--watch SECONDS`` repeats.
Exit codes: 0 when every role could be read (a role nobody runs is a fact, not an error);
1 when some role could not be read (its row says why); 2, with one line naming it, when
the broker or the store does not answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from api.status import RoleStatus, Status
from infra.errors import UserFacingError
from infra.lock_holder import Holder
from infra.settings import Settings
from peerpulse.where import BROKER, READMODEL, STORE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status", help="who runs each role, its partitions and its lag",
        description="Per role (ingest, relay, projection worker, alert router): the pid "
        "holding its lock, the partitions it owns, its lag in records and seconds. Exit 0: "
        "every role read; 1: a role could not be read; 2: the broker or store does not answer.",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--watch", type=float, default=0, metavar="SECONDS",
                   help="read again every SECONDS until Ctrl-C (default: once)")  # fmt: skip
    p.set_defaults(handler=_status, uses=(BROKER, STORE, READMODEL))


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from peerpulse.build import build

    if args.watch < 0:
        raise UserFacingError("--watch must be a number of seconds, 0 or more")
    parts = build(settings)
    try:
        if not args.watch:
            return _show(parts.status_reader.read(), args.json)
        while True:
            try:
                status = parts.status_reader.read()
                if not args.json and sys.stdout.isatty():
                    print("\033[H\033[J", end="")
                _show(status, args.json)
            except UserFacingError as exc:  # the broker or store went away: say so, go on
                print(f"peerpulse status: {exc}", file=sys.stderr, flush=True)
            time.sleep(args.watch)
    finally:
        parts.close()


def _show(status: Status, as_json: bool) -> int:
    print(json.dumps(status.to_dict(), indent=2) if as_json else table(status), flush=True)
    return 0 if status.complete else 1


COLUMNS = ("ROLE", "PROCESS", "PARTITIONS", "LAG", "OLDEST WAITING")


def table(status: Status) -> str:
    """The status as a table: one row per role, then one per partition (or the relay's
    positions), indented under it."""
    rows: list[tuple[str, ...] | str] = [COLUMNS]  # a str: a role that could not be read
    for role in status.roles:
        rows.append(_role_row(role))
        rows += _detail_rows(role)
    cells = [r for r in rows if not isinstance(r, str)]
    widths = [max(len(r[i]) for r in cells if len(r) > i) for i in range(len(COLUMNS))]
    lines = [row if isinstance(row, str) else
             "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in rows]  # fmt: skip
    verdict = "every role caught up" if status.caught_up else "records waiting"
    if not status.complete:
        verdict = "some role could not be read"
    lines.append(f"\nmeasured {status.measured_at:%Y-%m-%d %H:%M:%S} UTC: {verdict}")
    return "\n".join(lines)


def _role_row(role: RoleStatus) -> tuple[str, ...] | str:
    if role.error is not None:
        return f"{role.title}  unreadable: {role.error}"
    return (role.title, process(role), role.owns, f"{role.lag_events}", age(role.lag_seconds))


def _detail_rows(role: RoleStatus) -> list[tuple[str, ...]]:
    relay = role.relay
    if relay is not None:
        head = ("  event store", f"relayed {relay.relayed} of {relay.stored}")
        return [head] + [(f"  {role.topic}[{p}]", f"newest relayed {mark}")
                         for p, mark in sorted(relay.per_partition.items())]  # fmt: skip
    return [(f"  {role.topic}[{p.partition}]", f"at {p.position} of {p.end}",
             "" if p.owner is None else f"owned by {_who(p.owner)}",
             f"{p.lag_events}", age(p.lag_seconds)) for p in role.partitions]  # fmt: skip


def process(role: RoleStatus) -> str:
    """Who holds the role's lock: ``pid 4242`` (``@ host`` on PostgreSQL), or not running;
    then its standbys (``, standby pid 4243``); several processes sharing the role are
    all named (``pid 4242, pid 4243``)."""
    waiting = "".join(f", standby {_who(h)}" for h in role.standbys)
    if len(role.processes) > 1:  # the alert routers on PostgreSQL share the role
        return ", ".join(_who(h) for h in role.processes)
    if role.holder is None:
        return "not running" + waiting
    return _who(role.holder) + waiting


def _who(holder: Holder) -> str:
    pid = "pid ?" if holder.pid is None else f"pid {holder.pid}"
    return pid + (f" @ {holder.host}" if holder.host else "")


def age(seconds: float | None) -> str:
    """A lag in seconds for people: ``0 s``, ``12.5 s``, ``3.2 min``, ``1.5 h``; ``-``: unknown."""
    if seconds is None:
        return "-"
    if seconds == 0:
        return "0 s"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"

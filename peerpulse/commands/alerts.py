"""``peerpulse alerts run|list|ack|unack|snooze``: the alert router and its lifecycle from a
shell."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from consumers.alerts.model import FAILED, OPEN_STATUSES, RESOLVED
from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import ALERTS, BROKER

if TYPE_CHECKING:
    from peerpulse.build import Parts


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``alerts`` command group."""
    p = sub.add_parser(
        "alerts", help="list, ack, unack, snooze alerts; `alerts run` routes them to coordinators"
    )
    p.set_defaults(handler=_run, topic=None, metrics_port=0, uses=(BROKER, ALERTS))
    cmds = p.add_subparsers(dest="alerts_command", metavar="ACTION")
    run = cmds.add_parser("run", help="consume alert intents and deliver them (the default)")
    run.add_argument("--topic", help="alert-intent topic (default: peerpulse.alerts.v1)")
    run.add_argument("--metrics-port", type=int, default=0, help="serve /metrics here (0: off)")
    run.set_defaults(handler=_run, uses=(BROKER, ALERTS))
    ls = cmds.add_parser("list", help="show alerts and their lifecycle status")
    ls.add_argument("--status", choices=STATUSES, help="only alerts in this status")
    ls.add_argument("--failed", action="store_true", help="only alerts whose delivery failed")
    ls.add_argument("--program", action="append", help="restrict to a program id (repeatable)")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.add_argument("--limit", type=_positive, default=500, help="at most this many (500)")
    ls.set_defaults(handler=_list, uses=(ALERTS,))
    ack = cmds.add_parser("ack", help="acknowledge an alert (stops escalation)")
    ack.add_argument("alert_id", help="the alert's id or a unique prefix of it")
    ack.add_argument("--by", required=True, help="who takes it on")
    ack.add_argument("--comment", default="", help="what they will do")
    ack.set_defaults(handler=_ack, uses=(ALERTS,))
    unack = cmds.add_parser("unack", help="take an acknowledgement back (its comment is kept)")
    unack.add_argument("alert_id", help="the alert's id or a unique prefix of it")
    unack.add_argument("--by", required=True, help="who takes it back")
    unack.set_defaults(handler=_unack, uses=(ALERTS,))
    snooze = cmds.add_parser("snooze", help="quiet an alert for some days (ends if worse)")
    snooze.add_argument("alert_id", help="the alert's id or a unique prefix of it")
    snooze.add_argument("--by", required=True)
    snooze.add_argument("--days", type=float, default=7.0)
    snooze.set_defaults(handler=_snooze, uses=(ALERTS,))


STATUSES = (*OPEN_STATUSES, RESOLVED, "open")
"""``alerts list --status``: a lifecycle status, or ``open`` for any unresolved one."""


def alert_id(store, given: str) -> str:
    """The stored alert id that ``given`` is, or uniquely begins."""
    from peerpulse.commands.ids import resolve

    return resolve(given, "alert", lambda prefix: store.ids_starting_with(prefix, limit=1000))


def _stall_watch(settings: Settings):
    """Ends the process if the router stops applying intents while some wait."""
    from infra.progress import ProgressWatch

    if not settings.stall_after_s:
        return None
    return lambda router: ProgressWatch(
        "alerts", lambda: router.backlog, lambda: router.handled, settings.stall_after_s
    ).start()


def run_service(parts: Parts, topic: str | None = None) -> int:
    """Run router + delivery until SIGTERM/SIGINT (also used by tests' subprocesses)."""
    from consumers.alerts.service import AlertService
    from infra.presence import sharing
    from infra.singleton import only_one
    from infra.sql import is_postgres

    # PostgreSQL: any number of routers share the work (claims, decision 0023), each listed
    # by `peerpulse status`; SQLite, the one-host embedded store: one router per store (0009)
    s = parts.settings
    with sharing(s, "alerts") if is_postgres(s) else only_one(s, "alerts"):
        service = AlertService(
            lambda: parts.alert_router(topic),
            parts.alert_deliverer,
            parts.settings.alerts.deliver_every_s,
            watch=_stall_watch(parts.settings),
        )
        from infra.signals import on_signals

        on_signals(lambda _sig: service.stop.set())
        service.run()
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from prometheus_client import start_http_server

    from infra.broker_probe import wait_for_kafka
    from infra.topics import ALERTS, create_topics
    from peerpulse.build import build

    parts = build(settings)
    topic = args.topic or settings.alerts.topic
    wait_for_kafka(settings.kafka_bootstrap)
    create_topics(
        settings.kafka_bootstrap, settings.topic_partitions, (replace(ALERTS, name=topic),)
    )
    if args.metrics_port:
        start_http_server(args.metrics_port, addr=settings.metrics_host)
    try:
        return run_service(parts, topic)
    finally:
        parts.close()


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from peerpulse.build import build

    store = build(settings).alert_store
    status = FAILED if args.failed else args.status
    found = store.list(status=status, program_ids=args.program, limit=args.limit + 1)
    if not found:
        print("no alerts" + (f" with status {status}" if status else ""), file=sys.stderr)
    elif len(found) > args.limit:
        found = found[: args.limit]
        print(f"showing the first {args.limit} alerts; --limit N shows more", file=sys.stderr)
    for a in found:
        failures = store.failed_notices(a.alert_id) if args.failed else []
        row = {
            "alert_id": a.alert_id,
            "status": a.status,
            "kind": a.kind,
            "group_id": a.group_id,
            "program_id": a.program_id,
            "raised_at": a.raised_at.isoformat(),
            "gravity": a.gravity,
            "failures": [f"{f.notice.purpose}: {f.error} ({f.attempts} tries)" for f in failures],
        }
        if args.json:
            print(json.dumps(row))
        else:
            extra = f"  FAILED {'; '.join(row['failures'])}" if failures else ""
            print(
                f"{a.alert_id}  {a.status:<12} {a.kind:<15} group {a.group_id}  "
                f"since {a.raised_at:%Y-%m-%d}{extra}"
            )
    return 0


def _changed(store, given: str, change):
    """``change(alert id)`` for the alert ``given`` names (an id or a unique prefix); an
    unknown alert or a change its status forbids is one line."""
    from consumers.alerts.lifecycle import LifecycleError

    try:
        return change(alert_id(store, given))
    except KeyError as exc:
        raise UserFacingError(f"no alert {given}") from exc
    except LifecycleError as exc:
        raise UserFacingError(str(exc)) from exc


def _ack(args: argparse.Namespace, settings: Settings) -> int:
    from peerpulse.build import build

    store = build(settings).alert_store
    a = _changed(store, args.alert_id, lambda i: store.acknowledge(i, args.by, args.comment))
    print(f"{a.alert_id} acknowledged by {a.acknowledged_by}")
    return 0


def _snooze(args: argparse.Namespace, settings: Settings) -> int:
    from peerpulse.build import build

    c = build(settings)
    until = c.alert_clock() + timedelta(days=args.days)
    a = _changed(c.alert_store, args.alert_id, lambda i: c.alert_store.snooze(i, until, args.by))
    print(f"{a.alert_id} snoozed until {until:%Y-%m-%d %H:%M} UTC (or until it gets worse)")
    return 0


def _unack(args: argparse.Namespace, settings: Settings) -> int:
    from peerpulse.build import build

    store = build(settings).alert_store
    a = _changed(store, args.alert_id, lambda i: store.unacknowledge(i, args.by))
    print(f"{a.alert_id} is {a.status} again (the comment is kept)")
    return 0

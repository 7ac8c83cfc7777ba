"""``peerpulse rebuild``: recompute every projection read model from the events topic.

Stop the worker first: a running one makes rebuild refuse to start, and no worker starts
while a rebuild holds the worker's lock. SIGTERM stops the rebuild and its feed processes.
The read model is emptied, refilled by replaying
``peerpulse.events.v1`` from its beginning through the same projector the worker runs,
and the worker's consumer-group position is set to the rebuilt checkpoint.
"""

from __future__ import annotations

import argparse
import signal

from infra.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    from peerpulse.commands.worker import add_topic_args

    p = sub.add_parser("rebuild", help="recompute projections from the start of the events topic")
    add_topic_args(p)
    p.add_argument(
        "--emit",
        action="store_true",
        help="also republish health records and alert intents (deterministic ids)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes replaying partitions in parallel (default: one per"
        " partition on a multi-core machine)",
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from infra.broker_probe import wait_for_kafka
    from infra.singleton import only_one
    from peerpulse.commands.worker import topic_names
    from projections.worker.rebuild import rebuild

    # SIGTERM (a supervisor, or the lock's watchdog when its session ends) stops the rebuild
    # and its feed processes; the read model keeps its rebuild marker, so the worker resets.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with only_one(settings, "worker"):  # the worker must be stopped; none may start now
            wait_for_kafka(settings.kafka_bootstrap)
            stats = rebuild(
                settings,
                topic_names(args),
                args.group_id,
                emit=args.emit,
                progress=not args.no_progress,
                workers=args.workers,
            )
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(
        f"rebuilt {stats.groups} groups from {stats.events} events in {stats.seconds:.1f} s"
        f" ({stats.rate:,.0f} events/s); {stats.alerts} alert intents"
    )
    return 0


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)

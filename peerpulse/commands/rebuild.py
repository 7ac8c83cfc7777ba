"""``peerpulse rebuild``: recompute every projection read model from the events topic.

Under ``peerpulse up`` (or the demo) on the same data dir, rebuild asks ``up`` to pause its
worker (:mod:`peerpulse.pause`), takes the worker's lock once it is free, and ``up`` starts
the worker again when the rebuild ends, however it ends. A worker run on its own must be
stopped first: rebuild refuses while it holds the lock, and no worker starts while a
rebuild holds it. SIGTERM stops the rebuild and its feed processes.
The read model is emptied, refilled by replaying
``peerpulse.events.v1`` from its beginning through the same projector the worker runs,
and the worker's consumer-group position is set to the rebuilt checkpoint.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from infra.settings import Settings
from peerpulse.where import BROKER, READMODEL


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
    p.set_defaults(handler=_run, uses=(BROKER, READMODEL))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from infra.broker_probe import wait_for_kafka
    from peerpulse.commands.worker import topic_names
    from peerpulse.pause import paused
    from projections.worker.rebuild import rebuild

    # SIGTERM (a supervisor, or the lock's watchdog when its session ends) stops the rebuild
    # and its feed processes; the read model keeps its rebuild marker, so the worker resets.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with (
            paused(settings.data_dir, "worker", _say) as up_pid,
            _worker_lock(settings, PAUSE_WAIT_S if up_pid else 0.0),
        ):  # the worker must be stopped; none may start now
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


PAUSE_WAIT_S = 60.0
"""How long rebuild waits for ``up`` to stop its worker (it stops within seconds)."""


def _say(text: str) -> None:
    print(f"peerpulse rebuild: {text}", file=sys.stderr, flush=True)


@contextmanager
def _worker_lock(settings: Settings, wait_s: float) -> Iterator[None]:
    """Hold the worker's lock; retry for ``wait_s`` while a paused worker lets it go."""
    from infra.singleton import AlreadyRunning, only_one

    deadline = time.monotonic() + wait_s
    with ExitStack() as stack:
        while True:
            try:
                stack.enter_context(only_one(settings, "worker"))
                break
            except AlreadyRunning:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.3)
        yield


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)

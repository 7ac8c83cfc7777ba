"""``peerpulse relay``: publish the event store's domain events onto ``peerpulse.events.v1``."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from infra.settings import Settings
from peerpulse.where import BROKER, STORE

log = logging.getLogger("peerpulse.relay")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``relay [--topic T] [--batch-size N] [--poll-interval S] [--until-caught-up]
    [--standby]``."""
    p = sub.add_parser("relay", help="outbox relay: event store -> peerpulse.events.v1")
    p.add_argument("--topic", help="publish here instead of peerpulse.events.v1")
    p.add_argument("--batch-size", type=int, default=2000, help="notifications per flush")
    p.add_argument("--poll-interval", type=float, default=0.2, help="seconds between polls")
    p.add_argument(
        "--until-caught-up", action="store_true", help="exit once every stored event is out"
    )
    p.add_argument(
        "--standby",
        action="store_true",
        help="if another relay is running, wait and take over when it dies (decision 0022)",
    )
    p.set_defaults(handler=_relay, uses=(BROKER, STORE))


def _relay(args: argparse.Namespace, settings: Settings) -> int:
    from infra.signals import on_signals
    from infra.singleton import only_one
    from infra.standby import Standby, StoodDown
    from peerpulse.build import build

    parts = build(settings, relay_topic=args.topic) if args.topic else build(settings)
    relay = parts.relay
    standby = Standby("relay") if args.standby else None
    stopping = threading.Event()
    on_signals(lambda _sig: _stop(relay, standby, stopping))
    try:
        with only_one(
            settings, f"relay:{parts.relay_topic}", standby=standby, leased=True
        ) as lease:
            if not _fenced(standby, lease is not None, stopping):
                return 0
            relay.batch_size, relay.poll_interval = args.batch_size, args.poll_interval
            relay.fence = None if lease is None else lease.check
            watch = _watch(settings, relay)
            try:
                published = relay.run(until_caught_up=args.until_caught_up)
            finally:
                if watch is not None:
                    watch.stop()
                relay.close()
        log.info(
            "relay stopped after publishing %d events; next position %d",
            published,
            relay.next_position,
        )
        return 0
    except StoodDown:
        log.info("standby relay stopped before taking over")
        return 0
    finally:
        parts.close()


def _stop(relay: Any, standby: Any, stopping: threading.Event) -> None:
    """SIGTERM/SIGINT: a standby stops waiting; a running relay finishes its batch."""
    stopping.set()
    if standby is not None:
        standby.stop()
    relay.stop()


def _fenced(standby: Any, leased: bool, stopping: threading.Event) -> bool:
    """Wait :data:`~infra.lock_lease.FENCE_S` before the topic is read, so that a
    predecessor that lost its lock session (rather than died) has ended: always on
    PostgreSQL (``leased``), where the server may have freed the lock under a live holder;
    on SQLite only after a takeover (a flock is freed by death alone; the wait lets the dead
    process's last bytes reach the broker). False when told to stop meanwhile."""
    from infra import metrics
    from infra.lock_lease import FENCE_S

    metrics.ROLE_ACTIVE.labels("relay").set(1)
    waited = standby is not None and standby.waited
    if not (leased or waited):
        return True
    log.info("relay: waiting %.1f s before reading the topic (lock fence)", FENCE_S)
    if stopping.wait(FENCE_S):
        log.info("relay stopped before it published anything")
        return False
    return True


def _watch(settings: Settings, relay: Any) -> Any:
    """Ends the process if the relay stops moving while stored events wait (not while it
    waits for a lost broker: that wait has its own bound)."""
    from infra.progress import ProgressWatch

    if not settings.stall_after_s:
        return None
    return ProgressWatch(
        "relay", lambda: relay.behind, lambda: relay.next_position, settings.stall_after_s
    ).start()

"""``peerpulse relay``: publish the event store's domain events onto ``peerpulse.events.v1``."""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

from infra.settings import Settings
from peerpulse.where import BROKER, STORE

log = logging.getLogger("peerpulse.relay")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``relay [--topic T] [--batch-size N] [--poll-interval S] [--until-caught-up]``."""
    p = sub.add_parser("relay", help="outbox relay: event store -> peerpulse.events.v1")
    p.add_argument("--topic", help="publish here instead of peerpulse.events.v1")
    p.add_argument("--batch-size", type=int, default=2000, help="notifications per flush")
    p.add_argument("--poll-interval", type=float, default=0.2, help="seconds between polls")
    p.add_argument(
        "--until-caught-up", action="store_true", help="exit once every stored event is out"
    )
    p.set_defaults(handler=_relay, uses=(BROKER, STORE))


def _relay(args: argparse.Namespace, settings: Settings) -> int:
    from infra.singleton import only_one
    from peerpulse.build import build

    parts = build(settings, relay_topic=args.topic) if args.topic else build(settings)
    try:
        with only_one(settings, f"relay:{parts.relay_topic}"):
            relay = parts.relay
            relay.batch_size, relay.poll_interval = args.batch_size, args.poll_interval
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: relay.stop())
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
    finally:
        parts.close()


def _watch(settings: Settings, relay: Any) -> Any:
    """Ends the process if the relay stops moving while stored events wait (not while it
    waits for a lost broker: that wait has its own bound)."""
    from infra.progress import ProgressWatch

    if not settings.stall_after_s:
        return None
    return ProgressWatch(
        "relay", lambda: relay.behind, lambda: relay.next_position, settings.stall_after_s
    ).start()

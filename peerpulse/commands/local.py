"""Local helper services: ``peerpulse mailsink`` (SMTP catcher) and ``peerpulse clock``.

``clock`` records wall-clock ticks in the event store so that silence is noticed even
when no attendance arrives; projections only ever see time through these ticks. Its
``peerpulse_clock_*`` metrics let Prometheus notice a clock that stopped (rules.yml).
"""

from __future__ import annotations

import argparse
import threading
from datetime import UTC, datetime

from infra.settings import Settings
from peerpulse.where import DATA, MAIL, STORE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mailsink", help="run a local SMTP sink that saves mail under data_dir/mail")
    p.set_defaults(handler=_mailsink, uses=(MAIL, DATA))
    p = sub.add_parser("clock", help="record wall-clock ticks so silence is noticed")
    p.add_argument("--every", type=float, default=60.0, help="seconds between checks")
    p.add_argument("--once", action="store_true", help="tick once and exit")
    p.set_defaults(handler=_clock, uses=(STORE,))


def _until_signalled() -> threading.Event:
    from infra.signals import on_signals

    stop = threading.Event()
    on_signals(lambda _sig: stop.set())
    return stop


def _mailsink(args: argparse.Namespace, settings: Settings) -> int:
    from infra.broker import port_in_use
    from infra.errors import UserFacingError
    from infra.mailsink import start_mailsink

    if port_in_use(settings.smtp_host, settings.smtp_port):
        raise UserFacingError(f"port {settings.smtp_host}:{settings.smtp_port} is already in use")
    directory = settings.data_dir / "mail"
    controller = start_mailsink(directory, settings.smtp_host, settings.smtp_port)
    print(
        f"mail sink on {settings.smtp_host}:{settings.smtp_port}, saving to {directory}", flush=True
    )
    _until_signalled().wait()
    controller.stop()
    return 0


def _clock(args: argparse.Namespace, settings: Settings) -> int:
    from domain.clock import boundary_at_or_before
    from infra.metrics import CLOCK_LAST_CHECK, CLOCK_LAST_TICK, CLOCK_TICKS
    from peerpulse.build import build

    parts = build(settings)
    stop = _until_signalled()
    try:
        while True:
            now = datetime.now(UTC)
            if parts.app.tick(now):
                CLOCK_TICKS.inc()
                print(f"tick recorded at {now.isoformat(timespec='seconds')}", flush=True)
            # tick() returned: the boundary before ``now`` is in the store (new or not)
            CLOCK_LAST_TICK.set(boundary_at_or_before(now).timestamp())
            CLOCK_LAST_CHECK.set(now.timestamp())
            if args.once or stop.wait(args.every):
                return 0
    finally:
        parts.close()

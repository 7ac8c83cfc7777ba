"""Local helper services: ``peerpulse mailsink`` (SMTP catcher) and ``peerpulse clock``.

``clock`` records wall-clock ticks in the event store so that silence is noticed even
when no attendance arrives; projections only ever see time through these ticks.
"""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import UTC, datetime

from infra.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mailsink", help="run a local SMTP sink that saves mail under data_dir/mail")
    p.set_defaults(handler=_mailsink)
    p = sub.add_parser("clock", help="record wall-clock ticks so silence is noticed")
    p.add_argument("--every", type=float, default=60.0, help="seconds between checks")
    p.add_argument("--once", action="store_true", help="tick once and exit")
    p.set_defaults(handler=_clock)


def _until_signalled() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
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
    from infra.bootstrap import build

    container = build(settings)
    stop = _until_signalled()
    try:
        while True:
            now = datetime.now(UTC)
            if container.app.tick(now):
                print(f"tick recorded at {now.isoformat(timespec='seconds')}", flush=True)
            if args.once or stop.wait(args.every):
                return 0
    finally:
        container.close()

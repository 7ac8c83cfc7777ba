"""``peerpulse api``: serve the HTTP API and dashboard with uvicorn."""

from __future__ import annotations

import argparse
import logging

from infra.settings import Settings
from peerpulse.where import API, BROKER, READMODEL


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``api``."""
    p = sub.add_parser("api", help="serve the HTTP API, dashboard and /metrics")
    p.add_argument("--host", help="listen host (default: settings.api_host)")
    p.add_argument("--port", type=int, help="listen port (default: settings.api_port)")
    p.add_argument(
        "--lag-interval",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="how often to measure consumer lag for /metrics (0: never)",
    )
    p.set_defaults(handler=_serve, uses=(API, BROKER, READMODEL))


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from peerpulse.build import build

    # Metadata-refresh errors of short-lived lag probes are noise; /readyz reports the broker.
    logging.getLogger("kafka.cluster").setLevel(logging.CRITICAL)
    parts = build(settings)
    monitor = parts.lag_monitor(args.lag_interval).start() if args.lag_interval > 0 else None
    try:
        app = create_app(parts)
        uvicorn.run(
            app, host=args.host or settings.api_host, port=args.port or settings.api_port,
            log_level="info", access_log=False,
        )  # fmt: skip
    finally:
        if monitor is not None:
            monitor.stop()
        parts.close()
    return 0

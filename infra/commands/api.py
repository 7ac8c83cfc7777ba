"""``peerpulse api``: serve the HTTP API and dashboard with uvicorn."""

from __future__ import annotations

import argparse

from infra.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``api``."""
    p = sub.add_parser("api", help="serve the HTTP API, dashboard and /metrics")
    p.add_argument("--host", help="listen host (default: settings.api_host)")
    p.add_argument("--port", type=int, help="listen port (default: settings.api_port)")
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn
    from api.app import create_app

    from infra.bootstrap import build

    container = build(settings)
    try:
        app = create_app(container)
        uvicorn.run(
            app, host=args.host or settings.api_host, port=args.port or settings.api_port,
            log_level="info", access_log=False,
        )  # fmt: skip
    finally:
        container.close()
    return 0

"""The ``peerpulse`` command line: the composition root's front door.

Each command group lives in ``peerpulse/commands/<name>.py`` and exposes
``register(subparsers)``; a handler receives the parsed args and a
:class:`~infra.settings.Settings` and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from infra.errors import UserFacingError, one_line

COMMAND_MODULES: tuple[str, ...] = (
    "peerpulse.commands.store",
    "peerpulse.commands.alerts",
    "peerpulse.commands.broker",
    "peerpulse.commands.topics",
    "peerpulse.commands.local",
    "peerpulse.commands.up",
    "peerpulse.commands.demo",
    "peerpulse.commands.api",
    "peerpulse.commands.tokens",
    "peerpulse.commands.contract",
    "peerpulse.commands.relay",
    "peerpulse.commands.simulate",
    "peerpulse.commands.worker",
    "peerpulse.commands.rebuild",
    "peerpulse.commands.backtest",
    "peerpulse.commands.members",
    "peerpulse.commands.ingest",
    "peerpulse.commands.import_csv",
    "peerpulse.commands.db",
)


def build_parser() -> argparse.ArgumentParser:
    """Assemble the parser from every registered command module."""
    parser = argparse.ArgumentParser(
        prog="peerpulse",
        description="Event-sourced engagement engine for peer-mentoring programs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


NOISY_LIBRARIES = ("kafka", "aiokafka", "faust", "mode", "mail.log", "httpx")


def configure_logging(verbose: bool) -> None:
    """peerpulse's own lines at INFO; chatty client libraries only from WARNING unless -v."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-5s %(name)s: %(message)s",
    )
    from infra.kafka import ClosedTransportNoise

    for name in ClosedTransportNoise.LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ClosedTransportNoise) for f in logger.filters):
            logger.addFilter(ClosedTransportNoise())
    if not verbose:
        for name in NOISY_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)  # "task ran 0.1 s" noise


SERVICES_WITH_METRICS = frozenset({"relay", "ingest", "worker", "alerts", "clock"})


def serve_metrics(command: str, settings) -> None:
    """Long-running services expose /metrics when PEERPULSE_METRICS_PORT is set."""
    if command in SERVICES_WITH_METRICS and settings.metrics_port:
        from prometheus_client import start_http_server

        import infra.metrics  # noqa: F401  (the whole catalogue is exported, zeros included)

        start_http_server(settings.metrics_port, addr=settings.metrics_host)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; operator mistakes end in one line on stderr and a non-zero code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        from infra.settings import Settings

        settings = Settings()
        serve_metrics(args.command, settings)
        return int(args.handler(args, settings) or 0)
    except UserFacingError as exc:
        print(f"peerpulse {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "_".join(str(p) for p in first["loc"])  # a section: ALERTS_QUIET_START
        print(
            f"peerpulse: invalid setting PEERPULSE_{field.upper()}: {first['msg']}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug or an outage we did not foresee: still one line
        logging.getLogger("peerpulse").debug("traceback", exc_info=True)
        hint = "" if args.verbose else " (run with --verbose for the traceback)"
        print(f"peerpulse {args.command}: unexpected {one_line(exc)}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The ``peerpulse`` command line: the composition root's front door.

Each command group lives in ``peerpulse/commands/<name>.py`` and exposes
``register(subparsers)``; a handler receives the parsed args and a
:class:`~infra.settings.Settings` and returns an exit code. A command may declare what it
uses (``set_defaults(uses=…)``, :mod:`peerpulse.where`): that is said in one line first.
``--help`` lists the commands by :data:`GROUPS`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from pydantic import ValidationError

from infra.errors import UserFacingError, one_line

COMMAND_MODULES: tuple[str, ...] = (
    "peerpulse.commands.store",
    "peerpulse.commands.alerts",
    "peerpulse.commands.groups",
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
    "peerpulse.commands.onboard",
    "peerpulse.commands.unmatched",
    "peerpulse.commands.db",
    "peerpulse.commands.status",
)


GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("run", ("up", "demo", "api", "relay", "ingest", "worker", "broker", "mailsink", "clock")),
    ("operate", ("status", "alerts", "groups", "tokens", "rebuild", "topics", "backtest", "store")),
    ("data", ("onboard", "import", "unmatched", "simulate", "members", "db", "contract")),
)
"""How ``peerpulse --help`` lists the commands, by command name: a name not registered is
skipped, a registered command in no group is listed under "other"."""

SETTINGS_HELP = """\
settings: PEERPULSE_* environment variables, then a .env file in the current directory,
then the defaults; each is described in infra/settings.py and in the README section
"The command line and its settings".
The broker's address and the dashboard's URL follow PEERPULSE_BROKER_PORT and
PEERPULSE_API_PORT unless PEERPULSE_KAFKA_BOOTSTRAP / PEERPULSE_PUBLIC_URL are set.
Run `peerpulse COMMAND --help` for a command's options."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line on stderr (exit 2), not usage + error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _version() -> str:
    try:
        return importlib.metadata.version("peerpulse")
    except importlib.metadata.PackageNotFoundError:  # a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """Assemble the parser from every registered command module."""
    parser = Parser(
        prog="peerpulse",
        usage="peerpulse [-h] [--version] [-v] COMMAND ...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SETTINGS_HELP,
    )
    parser.add_argument("--version", action="version", version=f"peerpulse {_version()}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging, tracebacks, every setting"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, prog="peerpulse")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    parser.description = _description(sub)
    sub.help = argparse.SUPPRESS  # listed by group in the description instead
    return parser


def _description(sub: argparse._SubParsersAction) -> str:
    """The commands under their group headings, each with its one-line help."""
    helps = {a.dest: a.help or "" for a in sub._get_subactions()}  # argparse keeps them here
    grouped = [(title, [n for n in names if n in helps]) for title, names in GROUPS]
    placed = {n for _, names in grouped for n in names}
    grouped.append(("other", [n for n in helps if n not in placed]))
    width = max(map(len, helps), default=8) + 2
    lines = ["Event-sourced engagement engine for peer-mentoring programs."]
    for title, names in grouped:
        if names:
            lines += ["", f"{title}:"] + [f"  {n:<{width}}{helps[n]}" for n in names]
    return "\n".join(lines)


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


def say_where(args: argparse.Namespace, settings) -> None:
    """On a terminal (or with ``--verbose``), one line naming what the command will use."""
    from peerpulse.where import line

    if not (args.verbose or sys.stderr.isatty()):
        return  # a script's stderr keeps just its one-line error
    text = line(args.command, settings, getattr(args, "uses", ()), args.verbose)
    if text:
        print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; operator mistakes end in one line on stderr and a non-zero code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        from infra.settings import Settings

        settings = Settings()
        say_where(args, settings)
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

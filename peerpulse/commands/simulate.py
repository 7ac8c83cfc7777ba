"""``peerpulse simulate``: publish a realistic simulated program through the public contract.

The generator is pure (``infra.simulator.simulate``); this edge reads the clock once for
the default ``--end``, picks the sink, paces, and writes the ground truth. Bad arguments end
in one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from infra.errors import UserFacingError
from infra.settings import Settings
from infra.topics import ATTENDANCE
from peerpulse.where import BROKER

TARGETS = ("kafka", "http", "file")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="publish a simulated program with known group fates",
                       description=__doc__.splitlines()[0])  # fmt: skip
    p.add_argument("--seed", type=int, default=1, help="randomness seed (same seed, same output)")
    p.add_argument("--groups", type=int, default=60, help="number of groups (default 60)")
    p.add_argument("--weeks", type=int, default=16, help="weeks of history (default 16)")
    p.add_argument("--end", help="ISO 8601 end of the simulated window (default: now)")
    p.add_argument("--to", nargs="+", metavar="TARGET", default=["kafka"],
                   help="kafka | http URL | file PATH (default kafka)")  # fmt: skip
    p.add_argument("--topic", default=ATTENDANCE.name, help="Kafka topic (default %(default)s)")
    p.add_argument("--token", help="API token for --to http")
    p.add_argument("--speed", type=float, help="simulated seconds per real second (default: ASAP)")
    p.add_argument("--truth", type=Path, help="write the ground truth (JSON) here")
    p.add_argument("--source", default="sim.peerpulse", help="CloudEvents source of the sender")
    p.set_defaults(handler=_run, uses=(BROKER,))
    p.error = _one_line_error  # type: ignore[method-assign]


def _one_line_error(message: str) -> NoReturn:
    print(f"peerpulse simulate: {message}", file=sys.stderr)
    raise SystemExit(2)


def _end(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        end = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserFacingError(f"--end {text!r} is not an ISO 8601 date-time") from None
    return end if end.tzinfo else end.replace(tzinfo=UTC)


def _check(args: argparse.Namespace) -> None:
    if args.groups < 1 or args.weeks < 1:
        raise UserFacingError("--groups and --weeks must be at least 1")
    if args.speed is not None and args.speed <= 0:
        raise UserFacingError("--speed must be positive")
    target, rest = args.to[0], args.to[1:]
    if target not in TARGETS:
        raise UserFacingError(f"--to {target!r}: choose kafka, http URL or file PATH")
    if target == "kafka" and rest:
        raise UserFacingError("--to kafka takes no argument (use --topic)")
    if target in ("http", "file") and len(rest) != 1:
        raise UserFacingError(
            f"--to {target} needs exactly one {'URL' if target == 'http' else 'PATH'}"
        )
    if target == "http" and not rest[0].startswith(("http://", "https://")):
        raise UserFacingError(f"--to http {rest[0]!r}: the URL must start with http:// or https://")


def _sink(args: argparse.Namespace, settings: Settings):
    from infra.simulator import sinks

    target = args.to[0]
    if target == "file":
        return sinks.FileSink(Path(args.to[1]))
    if target == "http":
        return sinks.HttpSink(args.to[1], args.token)
    from infra.broker_probe import wait_for_kafka

    wait_for_kafka(settings.kafka_bootstrap)
    return sinks.KafkaSink(settings.kafka_bootstrap, args.topic)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from infra.simulator import simulate
    from infra.simulator.sinks import HTTP_BATCH, paced

    _check(args)
    sim = simulate(args.seed, _end(args.end), args.groups, args.weeks, source=args.source)
    if args.truth:
        try:
            args.truth.write_text(json.dumps(sim.truth_json(), indent=2) + "\n")
        except OSError as exc:
            raise UserFacingError(f"cannot write {args.truth}: {exc.strerror}") from None
    sink = _sink(args, settings)
    sent = 0
    try:
        for batch in paced(sim.messages, args.speed, HTTP_BATCH, time.sleep):
            sink.send(batch)
            sent += len(batch)
    finally:
        sink.close()
    dying = sum(t.dies for t in sim.truth)
    print(f"simulated {len(sim.truth)} groups ({dying} dying) over {args.weeks} weeks to "
          f"{sim.end.isoformat()}: {sent} messages -> {' '.join(args.to)}")  # fmt: skip
    return 0

"""``peerpulse backtest``: how a risk policy would have done on a program's own history.

Replays the public events (from the event store, or the events topic) through the real
projector once per policy — the current one and, with ``--candidate FILE``, a candidate —
beside the naive rule "no session for 2 cadence periods", judges every flag against what
became of each group (hindsight labels: went dormant, dissolved, kept meeting) and prints
recall, standing lead, false positives, calibration and alerts per coordinator per week
side by side; ``--html`` also writes the charts. This is how an operations team tunes its
thresholds (``RiskPolicy.to_file`` writes a policy to start from). Read-only: it changes
no store, topic or read model.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time
from pathlib import Path

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import BROKER, STORE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backtest", help="judge the current (and a candidate) risk policy on past events"
    )
    p.add_argument(
        "--source",
        choices=("store", "topic"),
        default="store",
        help="read the event store (default) or the public events topic",
    )
    # The demo now runs in the data dir itself; --demo stays accepted for old scripts.
    p.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--current", type=Path, help="policy file of the current policy")
    p.add_argument("--candidate", type=Path, help="policy file to compare with the current")
    p.add_argument("--start", type=_day, help="first day judged (YYYY-MM-DD, UTC)")
    p.add_argument("--end", type=_day, help="last day judged (YYYY-MM-DD, UTC)")
    p.add_argument("--html", type=Path, help="also write the report with charts here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=_run, uses=(STORE, BROKER))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-01") from None


def _policy(path: Path | None, role: str):
    from projections.risk.assess import DEFAULT_POLICY, RiskPolicy

    if path is None:
        return DEFAULT_POLICY
    try:
        return RiskPolicy.from_file(path)
    except OSError as exc:
        raise UserFacingError(f"cannot read the {role} policy {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UserFacingError(f"the {role} policy {path} is not valid: {exc}") from None


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from projections.backtest import run_backtest

    policies = {"current": _policy(args.current, "current")}
    if args.candidate is not None:
        policies["candidate"] = _policy(args.candidate, "candidate")
    if args.start and args.end and args.start > args.end:
        raise UserFacingError(f"--start {args.start} is after --end {args.end}")
    start = datetime.combine(args.start, time.min, UTC) if args.start else None
    end = datetime.combine(args.end, time.max, UTC) if args.end else None
    source = _source(args.source, settings)
    try:
        report = run_backtest(
            source, policies, start, end, progress=not args.no_progress, total=source.total
        )
    except ValueError as exc:  # no events in the range
        raise UserFacingError(str(exc)) from None
    print(report.to_markdown())
    if source.skipped:
        print(f"\n{source.skipped} stored events could not be read and were left out")
    if args.html:
        report.write_html(args.html)
        print(f"\nreport with charts: {args.html}")
    return 0


def _source(kind: str, settings: Settings):
    """The events to replay, as the composition root wires them."""
    if kind == "topic":
        from infra.broker_probe import wait_for_kafka
        from infra.topics import EVENTS
        from projections.backtest.sources import TopicSource

        wait_for_kafka(settings.kafka_bootstrap)
        return TopicSource(settings.kafka_bootstrap, EVENTS.name)
    from peerpulse.build import build
    from projections.backtest.sources import StoreSource

    if settings.store == "sqlite" and not settings.sqlite_path.exists():
        raise UserFacingError(
            f"no event store at {settings.sqlite_path} (run `peerpulse demo` first,"
            " or set PEERPULSE_DATA_DIR / PEERPULSE_STORE)"
        )
    return StoreSource(build(settings).app)

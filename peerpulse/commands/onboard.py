"""``peerpulse onboard FILE.csv...``: create and change programs, coordinators, groups, rosters.

Each file's name says what it holds (``programs.csv``, ``coordinators.csv``, ``groups.csv``,
``rosters.csv``, or ``<anything>-rosters.csv``); columns are in :mod:`infra.onboarding.rows`
and the README ("Using it"). Rows are applied programs first, rosters last, each as the
ingest message it stands for (``program.launched``/``.changed``, ``coordinator.assigned``,
``group.formed``/``.changed``, ``member.joined``/``.role_changed``/``.left``), through the
same decoder and mapper as Kafka input, straight to the event store like ``peerpulse
import`` (decision 0016, 0021). Every row is reported on stdout as create / change /
unchanged / leave. ``--dry-run`` reports and changes nothing. Exit 0 when every row was
good, 1 when some were rejected (each on stderr with file, row, column and reason), 2 when
a file cannot be read at all.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import STORE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("onboard", help="create or change programs, coordinators, groups and "
                       "rosters from CSV files")  # fmt: skip
    p.add_argument("files", type=Path, nargs="+", metavar="FILE.csv",
                   help="programs, coordinators, groups and/or rosters CSV files")  # fmt: skip
    p.add_argument("--source", required=True,
                   help="the system whose ids the files use (the `source` its attendance "
                   "will carry, e.g. lms.example.edu)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")
    p.set_defaults(handler=_run, uses=(STORE,))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from infra.contract.text import identifier_problem
    from peerpulse.build import build

    problem = identifier_problem(args.source, False)
    if problem:
        raise UserFacingError(f"--source: {problem}")
    rows, errors = _read(args.files)
    parts = build(settings)
    try:
        counts = _onboard(parts.app, args.source, rows, errors, args.dry_run)
    finally:
        parts.close()
    for error in errors:
        print(error, file=sys.stderr)
    verb = "would " if args.dry_run else ""
    said = ", ".join(f"{counts[a]} {a}" for a in ("create", "change", "leave", "unchanged"))
    print(f"{verb}{said}; {len(errors)} rejected" + (" (dry run: nothing changed)"
          if args.dry_run else ""), file=sys.stderr)  # fmt: skip
    return 1 if errors else 0


def _read(files: list[Path]) -> tuple[list[Any], list[Any]]:
    """Every file's rows, programs first and rosters last; a file that cannot be read ends it."""
    from infra.onboarding.rows import KINDS, BadHeader, kind_of, read

    rows, errors = [], []
    for path in files:
        kind = kind_of(path.name)
        if kind is None:
            raise UserFacingError(f"{path}: cannot tell what it holds: name it programs.csv, "
                                  "coordinators.csv, groups.csv or rosters.csv")  # fmt: skip
        if not path.is_file():
            raise UserFacingError(f"{path}: no such file")
        try:
            text = path.read_bytes().decode("utf-8-sig")
            got, bad = read(kind, path.name, text.splitlines(keepends=True))
        except UnicodeDecodeError as exc:
            raise UserFacingError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
        except BadHeader as exc:
            raise UserFacingError(str(exc)) from exc
        rows += got
        errors += bad
    rows.sort(key=lambda r: KINDS.index(r.kind))
    return rows, errors


def _onboard(app: Any, source: str, rows: list[Any], errors: list[Any], dry_run: bool) -> Counter:
    """Plan each row against the store and (unless ``dry_run``) apply it; counts by action."""
    from consumers.ingest.mapper import apply
    from domain.errors import DomainError
    from infra.contract.inbound.decoder import Rejection, decode
    from infra.onboarding.plan import Conflict, message, plan
    from infra.onboarding.rows import RowError

    counts: Counter = Counter()
    now = datetime.now(UTC)
    for row in rows:
        try:
            change = plan(app, source, row)
        except Conflict as exc:
            errors.append(RowError(row.file, row.row, "program", str(exc)))
            continue
        if change.type is not None and not dry_run:
            command = decode(message(source, row, change, now), None, now)
            if isinstance(command, Rejection):
                errors.append(RowError(row.file, row.row, "row", command.reason))
                continue
            try:
                with app.batch():
                    apply(app, command)
            except DomainError as exc:
                errors.append(RowError(row.file, row.row, "row", f"{exc.code}: {exc}"))
                continue
        counts[change.action] += 1
        print(f"{row.where}: {change}")
    errors.sort(key=lambda e: (e.file, e.row))
    return counts

"""``peerpulse import FILE.csv``: load a spreadsheet export of attendance.

Columns are documented in :mod:`consumers.ingest.csv_rows` and
docs/contract/ingest/README.md. Exit 0 when every row was applied, 1 when some rows were
rejected (each reported on stderr with row, column and reason), 2 when the file cannot be
read at all.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import STORE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import attendance from a CSV spreadsheet export")
    p.add_argument("file", type=Path, help="CSV file: one row per member per session")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(handler=_run, uses=(STORE,))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from consumers.ingest.csv_import import import_file, summary
    from consumers.ingest.csv_rows import MissingColumns
    from peerpulse.build import build

    path: Path = args.file
    if not path.is_file():
        raise UserFacingError(f"{path}: no such file")
    parts = build(settings)
    try:

        def progress(total: int) -> tqdm:
            return tqdm(total=total, desc=f"importing {path.name}", unit="row", file=sys.stderr)

        report = import_file(
            parts.app, path, datetime.now(UTC), None if args.no_progress else progress
        )
    except MissingColumns as exc:
        raise UserFacingError(f"{path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise UserFacingError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    finally:
        parts.close()
    for line in summary(report):
        print(line, file=sys.stderr)
    return 1 if report.errors else 0

"""``peerpulse import``: apply a spreadsheet export straight to the EngagementApp.

Straight to the app, not through Kafka (docs/decisions/0016): the operator gets a per-row
report and an exit code at once, and no broker is needed. Each session's rows become one
``session.held`` command that goes through the same mapper (and ordering rule) as Kafka
input, in event-time order, many sessions per transaction. Re-importing the same file
is harmless: derived ids make every command an identical repeat, which changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from consumers.ingest.csv_rows import RowError, SessionRows, parse, validate
from consumers.ingest.mapper import apply
from domain.errors import ConcurrentModification, DomainError
from domain.ids import derive_id
from infra.contract.inbound.decoder import Command

SESSIONS_PER_BATCH = 200


@dataclass
class ImportReport:
    """What an import did: sessions applied, rows rejected (with reasons)."""

    file_id: str
    sessions: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    held: int = 0
    """Marks held as unmatched: their group or member is not on the roster (decision 0021)."""


def import_file(app: Any, path: Path, now: datetime, progress: Any = None) -> ImportReport:
    """Parse and apply ``path``; ``progress(total_rows)`` may return a bar with ``update(n)``."""
    raw = path.read_bytes()
    file_id = hashlib.sha256(raw).hexdigest()[:16]
    sessions, errors = parse(raw.decode("utf-8-sig").splitlines(keepends=True), now)
    report = ImportReport(file_id, errors=errors)
    ready: list[tuple[SessionRows, Command]] = []
    for session in sorted(sessions, key=lambda s: (s.held_at, s.key)):
        result = validate(session, file_id)
        if isinstance(result, RowError):
            report.errors.append(result)
        else:
            ready.append((session, result))
    chunks = [ready[i : i + SESSIONS_PER_BATCH] for i in range(0, len(ready), SESSIONS_PER_BATCH)]
    bar = progress(sum(len(s.rows) for s, _ in ready)) if progress else None
    programs = {derive_id("program", s.key[0], s.key[1]) for s, _ in ready}
    before = _held(app, programs)
    for chunk in chunks:
        _apply_chunk(app, chunk, report)
        if bar is not None:
            bar.update(sum(len(s.rows) for s, _ in chunk))
    if bar is not None:
        bar.close()
    report.held = max(0, _held(app, programs) - before)
    report.errors.sort(key=lambda e: e.row)
    return report


def _held(app: Any, programs: set[Any]) -> int:
    """How many marks the programs' unmatched lists hold open."""
    lists = [app.unmatched(p) for p in programs]
    return sum(len(i["marks"]) for u in lists if u is not None for i in u.open.values())


def _apply_chunk(app: Any, chunk: list[tuple[SessionRows, Command]], report: ImportReport) -> None:
    """One transaction for the chunk; a session breaking a domain rule is reported, not applied."""
    pending = list(chunk)
    for _ in range(len(chunk) + 10):
        try:
            with app.batch():
                for i, (session, command) in enumerate(pending):
                    try:
                        apply(app, command)
                    except DomainError as exc:
                        if exc.retryable:
                            raise
                        report.errors.append(_domain_row_error(session, exc))
                        del pending[i]
                        raise _Rerun from exc
                app.tick_through(max(c.occurred_at for _, c in pending)) if pending else None
        except (_Rerun, ConcurrentModification):
            continue
        report.sessions += len(pending)
        report.rows += sum(len(s.rows) for s, _ in pending)
        return
    raise RuntimeError("import gave up: the event store kept reporting conflicts")


class _Rerun(Exception):
    """Run the chunk again without the session that broke a rule."""


def _domain_row_error(session: SessionRows, exc: DomainError) -> RowError:
    rows = ", ".join(str(r) for r in session.rows)
    return RowError(session.rows[0], "session", f"{exc.code}: {exc} (rows {rows})")


def summary(report: ImportReport) -> Iterable[str]:
    """Lines for stderr: one per rejected row, then the totals."""
    for error in report.errors:
        yield str(error)
    yield (f"imported {report.rows} rows in {report.sessions} sessions; "
           f"{len(report.errors)} rejected (file {report.file_id})")  # fmt: skip
    if report.held:
        yield (f"{report.held} of them held as unmatched: their group or member is not on the "
               "roster (see `peerpulse unmatched list`)")  # fmt: skip

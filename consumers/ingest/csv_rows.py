"""Spreadsheet exports (one row per member per session) turned into ingest commands.

Columns (header row required, order free, extra columns ignored):
``source, program, group, session, session_date, member, status`` — ``session_date`` is
an ISO date (taken as 00:00 UTC) or an ISO date-time with an offset; ``status`` is
``present``/``absent``/``excused`` (any case). The rows of one session become one
``session.held`` roll call, validated by the same contract models as Kafka input; an id
cell holding a control or bidi character is reported on its own row and column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import ValidationError

from infra.contract.inbound.decoder import MAX_CLOCK_SKEW, MAX_PAST, Command
from infra.contract.inbound.messages import SessionHeldV1
from infra.contract.text import identifier_problem

COLUMNS = ("source", "program", "group", "session", "session_date", "member", "status")
STATUSES = ("present", "absent", "excused")
ID_COLUMNS = {"source": False, "program": True, "group": True, "session": True, "member": True}
"""The columns holding ids, each with whether it may contain spaces (as in the contract)."""


class MissingColumns(ValueError):
    """The header row lacks required columns; nothing can be imported."""


@dataclass(frozen=True)
class RowError:
    """One rejected row: spreadsheet row number (header = 1), column and reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class SessionRows:
    """The roll call of one session gathered from its rows."""

    key: tuple[str, str, str, str]
    held_at: datetime
    rows: list[int] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)

    def command(self, file_id: str) -> Command:
        """The ``session.held`` command for this roll call."""
        source, program, group, session = self.key
        lists = {s: sorted(m for m, st in self.marks.items() if st == s) for s in STATUSES}
        message = SessionHeldV1(
            specversion="1.0", id=f"csv:{file_id}:{program}:{group}:{session}", source=source,
            time=self.held_at, type="peerpulse.ingest.session.held.v1",
            data={"program": program, "group": group, "session": session, **lists},
        )  # fmt: skip
        return Command(message.type, self.held_at, source, message)


def parse(lines: Iterable[str], now: datetime) -> tuple[list[SessionRows], list[RowError]]:
    """Group rows into sessions; every bad row is reported, never silently skipped."""
    read = [0]  # physical lines handed to the reader: where a CSV error stopped it

    def counted(lines: Iterable[str]) -> Iterable[str]:
        for n, line in enumerate(lines, 1):
            read[0] = n
            yield line

    reader = csv.DictReader(counted(lines))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MissingColumns(f"missing column(s): {', '.join(missing)}")
    sessions: dict[tuple[str, str, str, str], SessionRows] = {}
    errors: list[RowError] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
            errors.append(RowError(read[0], "row", f"cannot be read as CSV: {exc}"))
            continue
        error = _add_row(sessions, row, reader.line_num, now)
        if error:
            errors.append(error)
    return list(sessions.values()), errors


def _add_row(sessions: dict, row: dict, number: int, now: datetime) -> RowError | None:
    values = {c: (row.get(c) or "").strip() for c in COLUMNS}
    bad = _bad_value(values, number)
    if bad:
        return bad
    status = values["status"].lower()
    if status not in STATUSES:
        return RowError(number, "status", f"{values['status']!r} is not one of {STATUSES}")
    held_at = _when(values["session_date"])
    if isinstance(held_at, str):
        return RowError(number, "session_date", held_at)
    if held_at > now + MAX_CLOCK_SKEW:
        return RowError(number, "session_date", "is more than a day in the future")
    if held_at < now - MAX_PAST:
        return RowError(number, "session_date", "is more than ten years ago")
    key = (values["source"], values["program"], values["group"], values["session"])
    entry = sessions.setdefault(key, SessionRows(key, held_at))
    if entry.held_at != held_at:
        return RowError(number, "session_date", f"differs from this session's {entry.held_at}")
    previous = entry.marks.get(values["member"])
    if previous not in (None, status):
        return RowError(number, "status", f"member already marked {previous} in this session")
    entry.marks[values["member"]] = status
    entry.rows.append(number)
    return None


def _bad_value(values: dict[str, str], number: int) -> RowError | None:
    """The first empty cell, or id cell holding a character no id may hold (control, bidi)."""
    for column, value in values.items():
        if not value:
            return RowError(number, column, "is empty")
    for column, spaces in ID_COLUMNS.items():
        problem = identifier_problem(values[column], spaces)
        if problem:
            return RowError(number, column, problem)
    return None


def _when(text: str) -> datetime | str:
    """The moment a session took place, or why the text is not one."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return f"{text!r} is not an ISO date (YYYY-MM-DD) or date-time"
    if moment.tzinfo is None:
        return f"{text!r} has no UTC offset"
    return moment.astimezone(UTC)


def validate(session: SessionRows, file_id: str) -> Command | RowError:
    """Run the roll call through the contract model (id lengths, characters, sizes)."""
    try:
        return session.command(file_id)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in first["loc"])
        return RowError(session.rows[0], path.split(".")[-1] or "(row)", first["msg"])

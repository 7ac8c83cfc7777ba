"""The onboarding CSV files: one row per program, coordinator, group or roster entry.

Header row required, column order free, extra columns refused (a typo'd header would
otherwise be silently ignored). A required cell that is empty, a number that is not one,
or a value the ingest contract refuses is reported on its own row and column; the
other rows go on. ``status`` in a roster is ``active`` (the default) or ``left``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from infra.contract.inbound import payloads as p

KINDS = ("programs", "coordinators", "groups", "rosters")
"""In the order they are applied: a roster needs its group, a group its program."""
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "programs": (("program", "name", "organisation", "cadence"),
                 ("lapse_after", "escalate_after_days", "auto_create")),
    "coordinators": (("program", "coordinator", "name", "contact"),
                     ("time_zone", "channel", "digest", "digest_hour")),
    "groups": (("program", "group", "name", "cadence"), ("goal", "coordinator")),
    "rosters": (("program", "group", "member"),
                ("role", "pseudonym", "display_name", "contact", "status")),
}  # fmt: skip
"""Per kind: (required columns, optional columns)."""
MODELS: dict[str, type[BaseModel]] = {
    "programs": p.ProgramLaunched,
    "coordinators": p.CoordinatorAssigned,
    "groups": p.GroupFormed,
    "rosters": p.MemberJoined,
}
INTS = ("lapse_after", "escalate_after_days", "digest_hour")
BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
STATUSES = ("active", "left")


class BadHeader(ValueError):
    """The header row lacks a required column or has one peerpulse does not know."""


@dataclass(frozen=True)
class RowError:
    """One rejected row: its file, row number (header = 1), column and reason."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column {self.column}: {self.reason}"


@dataclass(frozen=True)
class Row:
    """One valid row: the payload it stands for and, for a roster, whether they ``left``."""

    file: str
    row: int
    kind: str
    data: dict[str, Any]
    left: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}: row {self.row}"


def kind_of(name: str) -> str | None:
    """The kind a file holds, by its name (``programs.csv``, ``spring-rosters.csv``)."""
    stem = name.rsplit("/", 1)[-1].lower().removesuffix(".csv")
    return next((k for k in KINDS if stem == k or stem.endswith(("-" + k, "_" + k))), None)


def read(kind: str, name: str, lines: Iterable[str]) -> tuple[list[Row], list[RowError]]:
    """Every row of one file: the valid ones and, for each bad one, why."""
    reader = csv.DictReader(lines)
    required, optional = COLUMNS[kind]
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required + optional]
    if missing or unknown:
        said = [f"missing column(s): {', '.join(missing)}"] if missing else []
        said += [f"unknown column(s): {', '.join(unknown)}"] if unknown else []
        raise BadHeader(f"{name}: {'; '.join(said)} (a {kind} file has "
                        f"{', '.join(required)} and optionally {', '.join(optional)})")  # fmt: skip
    rows, errors = [], []
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(name, reader.line_num, "row", f"cannot be read as CSV: {exc}"))
            continue
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        result = _row(kind, name, reader.line_num, cells)
        (errors if isinstance(result, RowError) else rows).append(result)
    return rows, errors


def _row(kind: str, name: str, number: int, cells: dict[str, str]) -> Row | RowError:
    data: dict[str, Any] = {}
    for column, value in cells.items():
        if not value:
            if column in COLUMNS[kind][0]:
                return RowError(name, number, column, "is empty")
            continue
        if column in INTS:
            if not value.lstrip("-").isdigit():
                return RowError(name, number, column, f"{value!r} is not a whole number")
            data[column] = int(value)
        elif column == "auto_create":
            if value.lower() not in BOOLS:
                return RowError(name, number, column, f"{value!r} is not true or false")
            data[column] = BOOLS[value.lower()]
        else:
            data[column] = value
    status = data.pop("status", "active").lower() if kind == "rosters" else "active"
    if status not in STATUSES:
        return RowError(name, number, "status", f"{status!r} is not one of {STATUSES}")
    try:
        MODELS[kind].model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        column = str(first["loc"][0]) if first["loc"] else "row"
        return RowError(name, number, column, first["msg"])
    return Row(name, number, kind, data, left=status == "left")

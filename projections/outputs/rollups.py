"""Program roll-up and weekly-trend counters a group's level moves: pure row changes."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from projections.fold.state import GroupState
from projections.outputs import rows


def iso_week(t: datetime) -> str:
    """ISO week label, e.g. ``2025-W07``."""
    return _week(t.toordinal())


@lru_cache(maxsize=1024)
def _week(ordinal: int) -> str:
    year, week, _ = date.fromordinal(ordinal).isocalendar()
    return f"{year}-W{week:02d}"


def trend(s: GroupState, level: str, week: str, out: list[rows.RowChange]) -> None:
    """Count the group at its latest level within each ISO week (ended groups drop out)."""
    if s.status != "active" and s.trend_week != week:
        return
    if s.trend_week == week:
        if s.level != level and s.level is not None:
            out.append(rows.trend_count(s.program_id, week, s.level, -1))
            out.append(rows.trend_count(s.program_id, week, level, 1))
        return
    s.trend_week = week
    out.append(rows.trend_count(s.program_id, week, level, 1))


def rollup(s: GroupState, column: str, out: list[rows.RowChange]) -> None:
    """Count the group in one level column of its program's roll-up (moving it if needed)."""
    if s.counted_level == column:
        return
    if s.counted_level is not None:
        out.append(rows.rollup_count(s.program_id, s.counted_level, -1))
    out.append(rows.rollup_count(s.program_id, column, 1))
    s.counted_level = column

"""The API's read side: every question a route or dashboard page asks, answered here.

Routes never write SQL; they call :class:`Queries`, which reads the projections' read
model, the alerts (through the :class:`~api.ports.AlertReads` port) and, only for
members' names, the profiles port. Results are plain dicts shaped like :mod:`api.schemas`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api import shape
from api.auth.tokens import ApiToken
from api.ports import AlertReads, MemberProfiles
from api.readmodel import ReadModelReader
from projections.readmodel import tables as T

SORTS = {"-score": "score DESC, name", "score": "score ASC, name", "name": "name, group_id"}


class Queries:
    """Read-model, alert and profile queries over the ports they are given."""

    def __init__(
        self, reader: ReadModelReader, alerts: AlertReads, profiles: MemberProfiles
    ) -> None:
        self.reader, self.alert_reads, self.profiles = reader, alerts, profiles

    def ping(self) -> None:
        """Raise if the read model does not answer."""
        self.reader.ping()

    # -- programs and groups ---------------------------------------------------------
    def programs(self, token: ApiToken) -> list[dict[str, Any]]:
        """Programs the token covers, by name."""
        rows = self.reader.rows(f"SELECT * FROM {T.PROGRAM_ROLLUP.name} ORDER BY name, program_id")
        return [shape.program(r) for r in rows if token.sees(r["program_id"])]

    def program(self, program_id: str) -> dict[str, Any] | None:
        """One program's roll-up."""
        row = self.reader.one(f"SELECT * FROM {T.PROGRAM_ROLLUP.name} WHERE program_id = ?",
                              (program_id,))  # fmt: skip
        return shape.program(row) if row else None

    def groups(
        self, token: ApiToken, program: UUID | str | None = None, level: str | None = None,
        sort: str = "-score", limit: int = 50, offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:  # fmt: skip
        """``(total, page)`` of groups matching the filters, within the token's programs."""
        where, params = [], []
        if program is not None:
            where.append("program_id = ?")
            params.append(str(program))
        if level is not None:
            where.append("level = ?")
            params.append(level)
        if not token.all_programs:
            ids = sorted(str(p) for p in token.programs)
            where.append(f"program_id IN ({', '.join('?' * len(ids))})")
            params += ids
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        table = T.GROUP_HEALTH.name
        count = self.reader.one(f"SELECT COUNT(*) AS n FROM {table}{clause}", params)
        rows = self.reader.rows(
            f"SELECT * FROM {table}{clause} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        return (int(count["n"]) if count else 0), [shape.group(r) for r in rows]

    def group(self, group_id: str) -> dict[str, Any] | None:
        """One group's health row, shaped."""
        row = self.reader.one(f"SELECT * FROM {T.GROUP_HEALTH.name} WHERE group_id = ?",
                              (group_id,))  # fmt: skip
        return shape.group(row) if row else None

    def group_names(self, group_ids: set[str]) -> dict[str, str]:
        """Names of the given groups (for alert lists)."""
        ids = sorted(group_ids)
        if not ids:
            return {}
        rows = self.reader.rows(
            f"SELECT group_id, name FROM {T.GROUP_HEALTH.name} "
            f"WHERE group_id IN ({', '.join('?' * len(ids))})", ids,
        )  # fmt: skip
        return {r["group_id"]: r["name"] for r in rows if r["name"]}

    def group_detail(self, group: dict[str, Any]) -> dict[str, Any]:
        """Health, sessions, attendance marks, commitments, milestones and level history."""
        gid = group["group_id"]
        items = self.reader.rows(
            f"SELECT * FROM {T.GROUP_TIMELINE.name} WHERE group_id = ? ORDER BY at, item_id",
            (gid,),
        )
        history = self.reader.rows(
            f"SELECT * FROM {T.LEVEL_HISTORY.name} WHERE group_id = ? ORDER BY seq", (gid,)
        )
        return {"group": group, **shape.timeline(items),
                "level_history": [shape.level_change(r) for r in history]}  # fmt: skip

    def trend(self, program_id: str) -> list[dict[str, Any]]:
        """Groups per level per ISO week for one program, oldest week first."""
        return self.reader.rows(
            f"SELECT week, level, groups FROM {T.WEEKLY_TREND.name} WHERE program_id = ? "
            "ORDER BY week, level", (program_id,),
        )  # fmt: skip

    # -- members ---------------------------------------------------------------------
    def members(self, group_id: str) -> list[dict[str, Any]]:
        """A group's members with engagement and lapse status; names resolved here only."""
        rows = self.reader.rows(
            f"SELECT * FROM {T.MEMBER_ENGAGEMENT.name} WHERE group_id = ? "
            "ORDER BY joined_at, member_id", (group_id,),
        )  # fmt: skip
        return [shape.member(r, self._profile(r["member_id"])) for r in rows]

    def _profile(self, member_id: str) -> Any:
        try:
            return self.profiles.member_profile(UUID(member_id))
        except Exception:  # unknown member, forgotten key, store hiccup: show no name
            return None

    # -- alerts ----------------------------------------------------------------------
    def alerts(
        self,
        token: ApiToken,
        status: str | None = None,
        program: UUID | str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Alerts newest first, limited to ``program`` or the token's programs."""
        if program is not None:
            programs: list[str] | None = [str(program)]
        else:
            programs = None if token.all_programs else sorted(map(str, token.programs))
        found = self.alert_reads.list(status=status, program_ids=programs, limit=limit)
        return [shape.alert(a) for a in found]

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        """One alert."""
        found = self.alert_reads.get(alert_id)
        return shape.alert(found) if found else None

    def acknowledge(self, alert_id: str, by: str, comment: str) -> dict[str, Any]:
        """Acknowledge an alert; returns it as it is now."""
        return shape.alert(self.alert_reads.acknowledge(alert_id, by, comment))

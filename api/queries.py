"""The API's read side: every question a route or dashboard page asks, answered here.

Routes never write SQL; they call :class:`Queries`, which reads the projections' read
model, the alerts (through the :class:`~api.ports.AlertReads` port) and, only for
members' names, the profiles port. Results are plain dicts shaped like :mod:`api.schemas`.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from api import shape, triage
from api.auth.tokens import ApiToken
from api.ports import AlertReads, MemberProfiles
from api.readmodel import ReadModelReader
from api.triage import GroupFilter
from projections.readmodel import tables as T

log = logging.getLogger(__name__)


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
        self, token: ApiToken, f: GroupFilter = GroupFilter(), sort: str = "triage",
        limit: int = 50, offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:  # fmt: skip
        """``(total, page)`` of the groups matching ``f`` that the token may see, each with
        its ``section`` and its open alerts' state (``alert``: open, acknowledged, None)."""
        try:
            acks = self.acknowledgement(token)
        except Exception:  # the alert store is down: list the groups without alert states
            if f.acknowledged is not None:
                raise
            log.warning("alert store unavailable: groups listed without alert states")
            acks = {}
        clause, params = self._where(token, f, acks)
        table = T.GROUP_HEALTH.name
        count = self.reader.one(f"SELECT COUNT(*) AS n FROM {table}{clause}", params)
        rows = self.reader.rows(
            f"SELECT * FROM {table}{clause} ORDER BY {triage.SORTS[sort]} LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        page = [{**shape.group(r), "section": triage.section(r),
                 "alert": _alert_state(acks.get(r["group_id"]))} for r in rows]  # fmt: skip
        return (int(count["n"]) if count else 0), page

    def level_counts(self, token: ApiToken, f: GroupFilter = GroupFilter()) -> dict[str, int]:
        """Groups per level (and ``ended``) among those matching ``f`` the token may see."""
        clause, params = self._where(token, f, {})
        rows = self.reader.rows(
            f"SELECT CASE WHEN {triage.ENDED_SQL} THEN 'ended' ELSE level END AS lvl, "
            f"COUNT(*) AS n FROM {T.GROUP_HEALTH.name}{clause} GROUP BY 1", params,
        )  # fmt: skip
        return {r["lvl"]: int(r["n"]) for r in rows if r["lvl"]}

    def coordinators(self, token: ApiToken, program: str | None = None) -> dict[str, str]:
        """The coordinators of the groups the token may see, id -> name (their id's first
        8 characters where the name cannot be read), by name."""
        clause, params = self._where(token, GroupFilter(program=program), {})
        joiner = " AND " if clause else " WHERE "
        rows = self.reader.rows(
            f"SELECT DISTINCT program_id, coordinator_id FROM {T.GROUP_HEALTH.name}{clause}"
            f"{joiner}coordinator_id IS NOT NULL ORDER BY coordinator_id, program_id", params,
        )  # fmt: skip
        names: dict[str, str] = {}
        for r in rows:
            cid = r["coordinator_id"]
            if not names.get(cid):  # not yet named: try this program's directory
                names[cid] = self._coordinator_name(r["program_id"], cid) or ""
        named = {cid: name or f"Coordinator {cid[:8]}" for cid, name in names.items()}
        return dict(sorted(named.items(), key=lambda kv: (kv[1].lower(), kv[0])))

    def coordinator_label(self, program_id: str | None, coordinator_id: str | None) -> str:
        """How the dashboard names a coordinator: their name, else "Coordinator <id prefix>"."""
        if not coordinator_id:
            return "none assigned"
        name = self._coordinator_name(program_id, str(coordinator_id))
        return name or f"Coordinator {str(coordinator_id)[:8]}"

    def _coordinator_name(self, program_id: str | None, coordinator_id: str) -> str | None:
        try:
            found = self.profiles.coordinator_contact(UUID(program_id), UUID(coordinator_id))
        except Exception:  # not the program's, forgotten, store hiccup: show the id
            return None
        return getattr(found, "name", None) or None

    def _where(self, token: ApiToken, f: GroupFilter, acks: dict[str, bool]):
        programs = None if token.all_programs else [str(p) for p in token.programs]
        bound = str(token.coordinator) if token.coordinator else None
        return triage.where(f, programs, bound, acks)

    def acknowledgement(self, token: ApiToken) -> dict[str, bool]:
        """Group id -> every open alert acknowledged, for the token's groups with one."""
        return triage.acknowledgement(self.open_alerts(token))

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

    def program_outcomes(self, program_id: str) -> dict[str, Any] | None:
        """The program's flag-episode counts (``program_episodes``), or None before any."""
        return self.reader.one(
            f"SELECT * FROM {T.PROGRAM_EPISODES.name} WHERE program_id = ?", (program_id,)
        )

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
        self, token: ApiToken, status: str | None = None, program: UUID | str | None = None,
        limit: int = 100, offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:  # fmt: skip
        """``(total, page)`` of alerts newest first, of ``program`` or the token's programs
        (and for a coordinator-bound token, that coordinator's groups)."""
        if program is not None:
            programs: list[str] | None = [str(program)]
        else:
            programs = None if token.all_programs else sorted(map(str, token.programs))
        found = self.alert_reads.list(status=status, program_ids=programs, limit=None)
        mine = self._theirs(token, [shape.alert(a) for a in found])
        return len(mine), mine[offset : offset + limit]

    def open_alerts(self, token: ApiToken, program: str | None = None) -> list[dict[str, Any]]:
        """Every unresolved alert the token may see (no cap), oldest first."""
        if program is not None:
            programs: list[str] | None = [str(program)]
        else:
            programs = None if token.all_programs else sorted(map(str, token.programs))
        found = self.alert_reads.open_alerts(program_ids=programs)
        return self._theirs(token, [shape.alert(a) for a in found])

    def _theirs(self, token: ApiToken, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if token.coordinator is None:
            return alerts
        mine = self.coordinator_groups(str(token.coordinator))
        return [a for a in alerts if a["group_id"] in mine]

    def alert_visible(self, token: ApiToken, alert: dict[str, Any]) -> bool:
        """True when the token may see (and so act on) this alert."""
        return token.sees(alert["program_id"]) and bool(self._theirs(token, [alert]))

    def coordinator_groups(self, coordinator: str) -> set[str]:
        """Ids of the groups whose coordinator is ``coordinator``."""
        rows = self.reader.rows(
            f"SELECT group_id FROM {T.GROUP_HEALTH.name} WHERE coordinator_id = ?", (coordinator,)
        )
        return {r["group_id"] for r in rows}

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        """One alert."""
        found = self.alert_reads.get(alert_id)
        return shape.alert(found) if found else None

    def acknowledge(self, alert_id: str, by: str, comment: str) -> dict[str, Any]:
        """Acknowledge an alert; returns it as it is now."""
        return shape.alert(self.alert_reads.acknowledge(alert_id, by, comment))


def _alert_state(all_acknowledged: bool | None) -> str | None:
    if all_acknowledged is None:
        return None
    return "acknowledged" if all_acknowledged else "open"

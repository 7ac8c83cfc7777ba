"""The triage view on the dashboard: filters, the "act on these first" table and the
"gone quiet" table, each paged with its totals shown (issue 14).

Used by a program's page and by the caseload page (every group the reader covers, or for a
coordinator-bound token, that coordinator's groups across programs). The filters are a
plain GET form, so the view works without JavaScript and every state has a URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from api.dashboard.html import LEVEL_LABELS, h, level_badge, when
from api.dashboard.html import table as html_table
from api.dashboard.pages import chance
from api.triage import GroupFilter

PAGE = 50
TRIAGE_LEVELS = ("at_risk", "watch", "healthy", "dormant")
ACK_CHOICES = (("", "Any"), ("false", "Waiting for someone"), ("true", "Acknowledged"))
ALERT_LABELS = {"open": "Open, not acknowledged", "acknowledged": "Acknowledged"}


class BadFilter(ValueError):
    """A filter value the form never sends (named in the message)."""


@dataclass(frozen=True)
class Choice:
    """What the reader chose: filters and the two sections' offsets."""

    filter: GroupFilter
    offset: int = 0
    quiet: int = 0
    program_in_query: bool = False
    """True on the caseload page (the program is a filter, not the page's address)."""

    def link(self, **change: Any) -> str:
        """The query string of this choice with ``change`` applied."""
        f = self.filter
        params: list[tuple[str, Any]] = [("level", lv) for lv in f.levels]
        params += [(k, v) for k, v in (("coordinator", f.coordinator), ("q", f.q)) if v]
        if f.acknowledged is not None:
            params.append(("acknowledged", str(f.acknowledged).lower()))
        if f.program and self.program_in_query:
            params.append(("program", f.program))
        offsets = {"offset": self.offset, "quiet": self.quiet, **change}
        params += [(k, v) for k, v in offsets.items() if v]
        return "?" + urlencode(params)


def choice_of(query: Mapping[str, Sequence[str]], program: str | None = None) -> Choice:
    """Parse the form's query string (``BadFilter`` for values it cannot hold)."""
    levels = tuple(query.get("level", []))
    for lv in levels:
        if lv not in TRIAGE_LEVELS:
            raise BadFilter(f"level: '{lv}' is not one of {', '.join(TRIAGE_LEVELS)}")
    ack = (query.get("acknowledged") or [""])[-1]
    if ack not in ("", "true", "false"):
        raise BadFilter("acknowledged: must be true or false")
    in_query = program is None
    if in_query and (query.get("program") or [""])[-1]:
        program = _uuid_text(query["program"][-1], "program")
    who = (query.get("coordinator") or [""])[-1]
    f = GroupFilter(
        program=program, coordinator=_uuid_text(who, "coordinator") if who else None,
        levels=levels, acknowledged=None if ack == "" else ack == "true",
        q=(query.get("q") or [""])[-1].strip()[:100],
    )  # fmt: skip
    return Choice(f, _offset(query, "offset"), _offset(query, "quiet"), in_query)


def _uuid_text(value: str, field: str) -> str:
    from uuid import UUID

    try:
        return str(UUID(value))
    except ValueError:
        raise BadFilter(f"{field}: '{value[:40]}' is not an id") from None


def _offset(query: Mapping[str, Sequence[str]], key: str) -> int:
    text = (query.get(key) or ["0"])[-1]
    if not text.isdigit() or int(text) > 1_000_000:
        raise BadFilter(f"{key}: must be a whole number from 0")
    return int(text)


def filter_form(c: Choice, coordinators: dict[str, str], programs: list[dict[str, Any]] | None,
                bound: bool) -> str:  # fmt: skip
    """The filters as a GET form (levels, coordinator, acknowledgement, name search)."""
    f = c.filter
    boxes = "".join(
        f'<label><input type="checkbox" name="level" value="{lv}"'
        f"{' checked' if lv in f.levels else ''}> {LEVEL_LABELS[lv]}</label>"
        for lv in TRIAGE_LEVELS
    )
    parts = [f"<fieldset><legend>Level</legend>{boxes}</fieldset>"]
    if programs is not None:
        parts.append(
            _select(
                "program",
                "Program",
                [("", "All programs")]
                + [(p["program_id"], p.get("name") or p["program_id"]) for p in programs],
                f.program,
            )
        )
    if not bound:
        parts.append(
            _select(
                "coordinator",
                "Coordinator",
                [("", "Anyone"), *coordinators.items()],
                f.coordinator,
            )
        )
    parts.append(
        _select(
            "acknowledged",
            "Alert",
            list(ACK_CHOICES),
            "" if f.acknowledged is None else str(f.acknowledged).lower(),
        )
    )
    parts.append(
        f'<div class="field"><label for="f-q">Group name</label><input id="f-q" name="q" '
        f'type="search" maxlength="100" value="{h(f.q)}"></div>'
    )
    return ('<form method="get" class="filters" role="search" aria-label="Filter groups">'
            + "".join(parts) + '<button type="submit">Filter</button> '
            '<a href="?">Clear filters</a></form>')  # fmt: skip


def _select(name: str, label: str, options: list[tuple[str, str]], chosen: str | None) -> str:
    opts = "".join(
        f'<option value="{h(v)}"{" selected" if (chosen or "") == v else ""}>{h(text)}</option>'
        for v, text in options
    )
    return (
        f'<div class="field"><label for="f-{name}">{label}</label>'
        f'<select id="f-{name}" name="{name}">{opts}</select></div>'
    )


def section(key: str, title: str, caption: str, groups: list[dict[str, Any]], total: int,
            offset: int, c: Choice, offset_key: str, empty: str,
            names: dict[str, str]) -> str:  # fmt: skip
    """One paged section: heading, "showing a–b of n", the table, previous/next links."""
    shown = (f"Showing {offset + 1}–{offset + len(groups)} of {total}"
             if groups else f"Showing 0 of {total}")  # fmt: skip
    links = []
    if offset > 0:
        links.append(f'<a rel="prev" href="{h(c.link(**{offset_key: max(offset - PAGE, 0)}))}">'
                     "Previous</a>")  # fmt: skip
    if offset + len(groups) < total:
        links.append(f'<a rel="next" href="{h(c.link(**{offset_key: offset + PAGE}))}">Next</a>')
    pager = (f'<nav class="pager" aria-label="{h(title)} pages">{" ".join(links)}</nav>'
             if links else "")  # fmt: skip
    return (f'<section id="{key}-section" aria-labelledby="{key}-h">'
            f'<h2 id="{key}-h">{h(title)}</h2>'
            f'<p class="count" id="{key}-count">{shown} group{"" if total == 1 else "s"}</p>'
            f"{group_table(key, caption, groups, empty, names)}{pager}</section>")  # fmt: skip


def group_table(key: str, caption: str, groups: list[dict[str, Any]], empty: str,
                names: dict[str, str]) -> str:  # fmt: skip
    """Groups in the order given, with level, chance, top reason, alert and coordinator."""
    rows = [
        [f'<a href="/groups/{h(g["group_id"])}">{h(g.get("name") or g["group_id"])}</a>',
         level_badge(g.get("level")), chance(g), h(g.get("top_reason") or "—"),
         h(ALERT_LABELS.get(g.get("alert") or "", "—")), when(g.get("last_session_at")),
         h(names.get(g.get("coordinator_id") or "") or (g.get("coordinator_id") or "—")[:8])]
        for g in groups
    ]  # fmt: skip
    heads = ["Group", "Level", "Chance dormant in 3 periods", "Top reason", "Alert",
             "Last session", "Coordinator"]  # fmt: skip
    return html_table(caption, heads, rows, table_id=key, numeric=(2,), empty=empty)


def view(queries: Any, token: Any, c: Choice, programs: list[dict[str, Any]] | None = None) -> str:
    """The whole triage view for ``token``: filters, both sections and the ended count."""

    def part(name: str, offset: int) -> tuple[int, list[dict[str, Any]]]:
        f = replace(c.filter, sections=(name,))
        return queries.groups(token, f, sort="triage", limit=PAGE, offset=offset)

    (total, groups), (quiet_total, quiet) = part("triage", c.offset), part("gone_quiet", c.quiet)
    ended = part("ended", 0)[0]
    bound = token.coordinator is not None
    names = queries.coordinators(token, c.filter.program)
    note = (f'<p class="note" id="ended-count">{ended} ended group{"" if ended == 1 else "s"} '
            "(concluded or dissolved) not listed.</p>" if ended else "")  # fmt: skip
    return (
        filter_form(c, names, programs, bound)
        + section("triage", "Triage: act on these first (at risk, then watch, then healthy)",
                  "Groups to act on, most likely to go dormant first", groups, total,
                  c.offset, c, "offset", "No groups match these filters.", names)
        + section("gone-quiet", "Gone quiet: reach out or close",
                  "Dormant groups, quiet the longest first", quiet, quiet_total, c.quiet, c,
                  "quiet", "No dormant groups match these filters.", names)
        + note
    )  # fmt: skip

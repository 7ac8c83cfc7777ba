"""Messages written for people: who, which group, what happened, since when, what to do.

Pure: takes the alert, the routing and an already-resolved member name, returns text and
HTML. A member's name is only ever shown to the coordinator of their group or the program's
lead (the name from the vault, else the pseudonym or "Member 1a2b" label the dashboard
shows); anyone else reads "a member of this group". A message about a change says where
the group is now and where it was when the reader was last told. A digest lists each
alert once (its latest change), grouped by group, and ends with each program's
"flagged → reached out → recovered" line when the counts are given. Every open alert
carries signed action links for its reader (:class:`~infra.links.LinkSigner`; acknowledge,
snooze a week, I reached out, and for a group's health: the group has ended).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from consumers.alerts.message_links import (
    Links,
    action_links,
    digest_outcomes,
    link_html,
    link_lines,
)
from consumers.alerts.model import (
    AT_RISK,
    DORMANT,
    LAPSED,
    LEVEL_OF_KIND,
    NOTE_EASED,
    NOTE_ESCALATED,
    NOTE_REMINDER,
    NOTE_RESOLVED,
    NOTE_WORSE,
    WATCH,
    Alert,
    Recipient,
    Routing,
)
from consumers.alerts.timing import zone

FORGOTTEN = "a member who asked to be forgotten"
NEXT_STEP = {
    LAPSED: "Reach out personally this week: a short, friendly message asking how they "
    "are doing works better than a reminder about attendance.",
    AT_RISK: "Talk to the group's facilitator this week and help them set the date "
    "of the next session.",
    DORMANT: "The group has gone quiet: reach out to propose a restart session, or close "
    "it (agree a planned pause or an end) so nobody feels they failed.",
    WATCH: "Nothing to do now; keep an eye on the next session.",
}
LEVEL_WORDS = {
    "healthy": "healthy",
    "watch": "on watch",
    "at_risk": "at risk",
    "dormant": "dormant",
}


@dataclass(frozen=True)
class Item:
    """One alert as it will be told to one person."""

    alert: Alert
    purpose: str
    routing: Routing
    member_name: str | None = ""
    key: str = ""


@dataclass(frozen=True)
class Message:
    """A rendered message, ready for any channel."""

    subject: str
    text: str
    html: str
    link: str
    items: list[dict[str, Any]] = field(default_factory=list)


def member_label(member_id: str | None) -> str:
    """The label the dashboard shows for a member without a name (``Member 1a2b``)."""
    return f"Member {str(member_id or '')[-4:] or '?'}"


def who(item: Item, reader: Recipient | None) -> str:
    """The member as this reader may see them: their name, else the dashboard's label, to
    the group's coordinator and the program's lead; a description to anyone else."""
    r = item.routing
    allowed = {c.coordinator_id for c in (r.coordinator, r.lead) if c}
    if reader is None or reader.coordinator_id not in allowed:
        return "a member of this group"
    label = member_label(item.alert.member_id)
    if item.member_name is None:
        return f"{FORGOTTEN} ({label})"
    return item.member_name or label


def _day(value: Any, reader: Recipient | None) -> str:
    if not value:
        return ""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(zone(reader.time_zone if reader else None)).strftime("%d %B %Y")


def unseen(item: Item) -> bool:
    """A summary of an episode that began and ended before anyone was told of it."""
    return item.purpose == NOTE_RESOLVED and item.key.endswith(":unseen")


def level_words(kind: str | None) -> str:
    """``at risk``, ``dormant``, ``on watch`` for a health alert's kind."""
    level = LEVEL_OF_KIND.get(kind or "")
    return LEVEL_WORDS.get(level or "", kind or "")


def headline(item: Item, reader: Recipient | None) -> str:
    """One line saying what happened."""
    a, group = item.alert, item.routing.group_name or "your group"
    if a.kind == LAPSED:
        what = f"{who(item, reader)} has missed {a.gravity} sessions in a row in {group}"
        if item.purpose == NOTE_RESOLVED:
            what = f"{who(item, reader)} is taking part in {group} again"
    elif a.kind == DORMANT:
        what = f"{group} has gone quiet (dormant)"
    elif a.kind == WATCH:
        what = f"{group} is easing: back on watch"
    else:
        what = f"{group} is at risk of quietly fading"
    if item.purpose == NOTE_RESOLVED and a.kind != LAPSED:
        what = f"{group} has recovered"
    if unseen(item):
        return f"While you were not told: {what} after a time at risk"
    if item.purpose in (NOTE_WORSE, NOTE_EASED) and a.kind != LAPSED:
        was = changed_from(item)
        if a.kind == WATCH:
            what = f"{group} is back on watch"
        what += f" (was {was})" if was else ""
    prefix = {
        NOTE_RESOLVED: "Back on track: ",
        NOTE_WORSE: "Getting worse: ",
        NOTE_EASED: "Easing: ",
        NOTE_ESCALATED: "Escalation: ",
        NOTE_REMINDER: "Reminder: ",
    }
    return prefix.get(item.purpose, "") + what


def changed_from(item: Item) -> str:
    """Where a health alert was when the reader was last told (else what the intent says
    it came from), in words; ``""`` when that is where it still is."""
    a = item.alert
    was = level_words(a.told_kind) if a.told_kind else ""
    if not was:
        was = LEVEL_WORDS.get(str(a.detail.get("previous_level") or ""), "")
    return "" if was == level_words(a.kind) else was


def details(item: Item, reader: Recipient | None, public_url: str) -> list[str]:
    """The lines of the body for one alert."""
    a, r = item.alert, item.routing
    lines = [
        headline(item, reader) + ".",
        f"Group: {r.group_name or a.group_id} ({r.program_name or 'program'})",
    ]
    if unseen(item):
        lines.append(
            f"You were not told at the time (alerting caught up after a delay): this lasted"
            f" from {_day(a.raised_at, reader)} to {_day(a.resolved_at, reader)}."
        )
        return [*lines, "Nothing more to do now.", f"Group page: {link(public_url, a)}"]
    if item.purpose == NOTE_RESOLVED:
        lines.append(f"Open since {_day(a.raised_at, reader)}; nothing more to do.")
        return [*lines, f"Group page: {link(public_url, a)}"]
    lines.append(f"Since: {_day(a.raised_at, reader)}")
    if a.kind != LAPSED:
        lines.append(_level_line(item))
    if a.kind == LAPSED:
        seen = _day(a.detail.get("last_seen"), reader)
        lines.append(f"Last at a session: {seen}" if seen else "Not seen at a session yet.")
    for reason in a.detail.get("reasons") or []:
        lines.append(f"- {reason.get('text', reason) if isinstance(reason, dict) else reason}")
    if item.purpose == NOTE_ESCALATED:
        c = r.coordinator.name if r.coordinator else "the coordinator"
        lines.append(
            f"Nobody acknowledged this within {r.escalate_after_days} business days "
            f"(coordinator: {c})."
        )
    lines.append(f"Suggested next step: {NEXT_STEP.get(a.kind, NEXT_STEP[LAPSED])}")
    return [*lines, f"Group page: {link(public_url, a)}"]


def _level_line(item: Item) -> str:
    a, was = item.alert, changed_from(item)
    line = f"Level now: {level_words(a.kind)}"
    if was and a.told_kind:
        return f"{line} (you were last told: {was})"
    return f"{line} (before: {was})" if was else line


def link(public_url: str, a: Alert) -> str:
    """The group's page in the dashboard."""
    return f"{public_url.rstrip('/')}/groups/{a.group_id}"


def digest_order(items: list[Item]) -> list[Item]:
    """Items grouped by group (by name), the group's health first, then its members."""
    return sorted(
        items,
        key=lambda i: (
            (i.routing.group_name or i.alert.group_id).casefold(),
            i.alert.group_id,
            i.alert.kind == LAPSED,
            i.alert.raised_at,
            i.alert.alert_id,
        ),
    )


def render(
    items: list[Item], reader: Recipient | None, public_url: str, links: Links | None = None,
    outcomes: dict[str, dict[str, int]] | None = None,
) -> Message:  # fmt: skip
    """One message (a single alert or a digest) for one reader.

    A digest lists every item once under its group's heading, groups in name order, and
    ends with ``outcomes`` (program id -> ``program_episodes`` counts) for its programs.
    """
    greeting = f"Hello {reader.name}," if reader else "Hello,"
    items = digest_order(items) if len(items) > 1 else items
    acts = [action_links(i, reader, public_url, links) for i in items]
    blocks = [details(i, reader, public_url) + link_lines(a, links)
              for i, a in zip(items, acts, strict=True)]  # fmt: skip
    loop = digest_outcomes(items, outcomes) if len(items) > 1 else []
    footer = "You receive this because you coordinate these groups.\n— peerpulse"
    if len(items) == 1:
        subject = headline(items[0], reader)
        text = "\n\n".join([greeting, "\n".join(blocks[0]), footer])
    else:
        groups = len({i.alert.group_id for i in items})
        subject = (
            f"Your peerpulse digest: {len(items)} updates on {groups} group{'s' * (groups != 1)}"
        )
        parts, heading = [greeting], None
        for i, b in zip(items, blocks, strict=True):
            if i.alert.group_id != heading:
                heading = i.alert.group_id
                name = i.routing.group_name or i.alert.group_id
                parts.append(f"== {name} ({i.routing.program_name or 'program'}) ==")
            parts.append("\n".join(b))
        if loop:
            parts.append("\n".join(["== Flagged → reached out → recovered ==", *loop]))
        text = "\n\n".join([*parts, footer])
    body, heading = "", None
    for i, b, a in zip(items, blocks, acts, strict=True):
        if len(items) > 1 and i.alert.group_id != heading:
            heading = i.alert.group_id
            body += f"<h2>{html.escape(i.routing.group_name or i.alert.group_id)}</h2>"
        lines = b[: len(b) - len(link_lines(a, links))]
        body += (
            "<section><p><strong>{}</strong></p><ul>{}</ul></section>".format(
                html.escape(lines[0]),
                "".join(f"<li>{html.escape(line)}</li>" for line in lines[1:-1]),
            )
            + f'<p><a href="{html.escape(link(public_url, i.alert))}">Open the group</a></p>'
            + link_html(a)
        )
    if loop:
        body += "<h2>Flagged → reached out → recovered</h2><ul>{}</ul>".format(
            "".join(f"<li>{html.escape(line)}</li>" for line in loop)
        )
    page = (
        f"<html><body><p>{html.escape(greeting)}</p>{body}"
        "<p>You receive this because you coordinate these groups.<br>— peerpulse</p>"
        "</body></html>"
    )
    return Message(
        subject,
        text,
        page,
        link(public_url, items[0].alert),
        [
            {
                "alert_id": i.alert.alert_id,
                "kind": i.alert.kind,
                "purpose": i.purpose,
                "status": i.alert.status,
                "program_id": i.alert.program_id,
                "group_id": i.alert.group_id,
                "severity": i.alert.severity,
                "headline": headline(i, reader),
                "link": link(public_url, i.alert),
                "actions": {x: url for x, _, url in a},
            }
            for i, a in zip(items, acts, strict=True)
        ],
    )

"""The action links and the outcome lines alert messages carry (decision 0009).

Each open alert told to a person gets signed links for that reader (acknowledge, snooze a
week, I reached out, and for a group's health: the group has ended), as text lines and as
HTML; a digest ends with each program's "flagged → reached out → recovered" line. Pure:
the signer and the moment come in :class:`Links`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from consumers.alerts.model import LAPSED, NOTE_RESOLVED, Recipient
from infra.links import ACTION_WORDS, ACTIONS, LinkSigner

if TYPE_CHECKING:
    from consumers.alerts.messages import Item

__all__ = ["Links", "action_links", "digest_outcomes", "link_html", "link_lines", "outcome_line"]


@dataclass(frozen=True)
class Links:
    """What the action links need: the signer, the moment they count from and the
    message's key (the same message sent again carries the same links)."""

    signer: LinkSigner
    now: datetime
    key: str = ""


def action_links(
    item: Item, reader: Recipient | None, public_url: str, links: Links | None
) -> list[tuple[str, str, str]]:
    """``(action, words, url)`` for each action the reader may take on the item's alert by
    link: none for a closing message, a stranger, or without a signer."""
    a = item.alert
    if links is None or reader is None or not a.is_open or item.purpose == NOTE_RESOLVED:
        return []
    actions = ACTIONS if a.kind != LAPSED else tuple(x for x in ACTIONS if x != "ended")
    who = reader.coordinator_id
    return [(x, ACTION_WORDS[x],
             links.signer.link(public_url, a.alert_id, x, who, links.now,
                               links.signer.nonce_for(f"{links.key}|{a.alert_id}|{x}|{who}")))
            for x in actions]  # fmt: skip


def link_lines(acts: list[tuple[str, str, str]], links: Links | None) -> list[str]:
    """The text lines that offer ``acts`` (none without links)."""
    if not acts or links is None:
        return []
    days = round(links.signer.lifetime.total_seconds() / 86400)
    head = f"Act without signing in (each link works once, for {days} days):"
    return [head, *(f"- {words}: {url}" for _, words, url in acts)]


def outcome_line(program_name: str, counts: dict[str, int] | None) -> str:
    """``Founders: flagged 12 → reached out 7 → recovered 5`` (since the program launched)."""
    c = counts or {}
    return (f"{program_name}: flagged {c.get('flagged', 0)} → reached out "
            f"{c.get('reached_out', 0)} → recovered {c.get('recovered', 0)} "
            "(groups flagged at risk since the program launched)")  # fmt: skip


def link_html(acts: list[tuple[str, str, str]]) -> str:
    """The HTML paragraph that offers ``acts``."""
    if not acts:
        return ""
    anchors = " · ".join(f'<a href="{html.escape(url)}">{html.escape(words)}</a>'
                         for _, words, url in acts)  # fmt: skip
    return f"<p>Act without signing in (each link works once): {anchors}</p>"


def digest_outcomes(items: list[Item], outcomes: dict[str, dict[str, int]] | None) -> list[str]:
    """One outcome line per program of ``items`` (none without counts)."""
    if outcomes is None:
        return []
    names = {i.alert.program_id: i.routing.program_name or "program" for i in items}
    return [outcome_line(names[p], outcomes.get(p)) for p in sorted(names, key=names.get)]

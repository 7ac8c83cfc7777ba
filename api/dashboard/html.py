"""HTML building blocks for the dashboard: escaping, the page layout, level badges, tables.

Everything is server-rendered with the standard library; values are always escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Any

LEVEL_LABELS = {"healthy": "Healthy", "watch": "Watch", "at_risk": "At risk", "dormant": "Dormant"}
LEVEL_SYMBOLS = {"healthy": "●", "watch": "▲", "at_risk": "◆", "dormant": "■"}
LEVEL_ORDER = ("at_risk", "watch", "healthy", "dormant")
"""Saveable first: the order of level columns and cards (dormant groups have gone quiet)."""


def h(value: Any) -> str:
    """Escape anything for HTML text or attribute context ("" for None)."""
    return "" if value is None else escape(str(value), quote=True)


def when(value: Any, with_time: bool = False) -> str:
    """An ISO timestamp as a short date (the full value in a <time> element)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return h(value)
    text = moment.strftime("%d %b %Y %H:%M" if with_time else "%d %b %Y")
    return f'<time datetime="{h(value)}">{h(text)}</time>'


def level_badge(level: str | None) -> str:
    """A level shown as symbol + words + colour (never colour alone)."""
    key = level if level in LEVEL_LABELS else "unknown"
    label = LEVEL_LABELS.get(key, "Unknown")
    symbol = LEVEL_SYMBOLS.get(key, "?")
    return (f'<span class="badge level-{h(key)}"><span aria-hidden="true">{symbol}</span> '
            f"{h(label)}</span>")  # fmt: skip


def table(
    caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]], *,
    table_id: str = "", numeric: Sequence[int] = (), empty: str = "Nothing to show.",
    sortable: bool = False,
) -> str:  # fmt: skip
    """A semantic table; cells are already-escaped HTML, the first cell is a row header."""
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            tag = 'th scope="row"' if i == 0 else "td"
            cells.append(f"<{tag}{cls}>{cell}</{tag.split()[0]}>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        return f'<p class="empty">{h(empty)}</p>'
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{h(x)}</th>'
                   for i, x in enumerate(headers))  # fmt: skip
    attrs = f' id="{h(table_id)}"' if table_id else ""
    attrs += ' data-sortable="true"' if sortable else ""
    return (f"<table{attrs}><caption>{h(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")  # fmt: skip


def layout(title: str, body: str, *, nav: str = "", status: int = 200) -> str:
    """The whole page: header with navigation, main content, the stylesheet and script."""
    links = [("/", "Programs"), ("/caseload", "Caseload"), ("/alerts", "Alerts"), ("/docs", "API"),
             ("/logout", "Sign out")]  # fmt: skip
    items = "".join(
        f'<li><a href="{href}"{" aria-current=page" if href == nav else ""}>{label}</a></li>'
        for href, label in links
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{h(title)} · peerpulse</title>
<link rel="stylesheet" href="/static/dashboard.css">
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><p class="brand"><a href="/">peerpulse</a></p>
<nav aria-label="Main"><ul>{items}</ul></nav></header>
<main id="main"><h1>{h(title)}</h1>
{body}
</main>
<script src="/static/dashboard.js" defer></script>
</body></html>"""


def message_page(title: str, text: str, extra: str = "") -> str:
    """A plain page with one message (sign-in, forbidden, not found)."""
    return layout(title, f'<p class="message">{h(text)}</p>{extra}')

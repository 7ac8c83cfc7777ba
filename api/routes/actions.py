"""``/a/{token}``: the signed action links in alert messages, usable without signing in.

``GET`` only shows what the link will do, with a button: mail scanners fetch links, so a
GET never changes anything. ``POST`` (the button) does it once: the link's nonce is
recorded with the change in one transaction. A second use answers 410, an expired link
410, an altered or foreign one 403 — each with a page that says so (decision 0009).
"I reached out" logs an intervention (call, message or meeting, asked on the page) and
acknowledges; "the group has ended" logs an ``ended`` intervention (which concludes the
group) and resolves the alert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.dashboard.html import h, layout
from api.errors import ApiError
from api.interventions import log_intervention
from infra.links import ACTION_WORDS, ActionLink, LinkRefused

router = APIRouter(include_in_schema=False)
DONE = {
    "ack": "Acknowledged: nobody will be reminded or escalated about this alert.",
    "snooze_week": "Snoozed for a week (it wakes earlier if the situation gets worse).",
    "reached_out": "Thank you: your outreach is logged and the alert is acknowledged.",
    "ended": "The group is recorded as ended and the alert is closed.",
}
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex"}  # fmt: skip


def _page(title: str, text: str, status: int = 200, extra: str = "") -> HTMLResponse:
    body = f'<p class="message" role="status">{h(text)}</p>{extra}'
    return HTMLResponse(layout(title, body), status_code=status, headers=_HEADERS)


def _check(request: Request, token: str) -> tuple[ActionLink, dict[str, Any]] | HTMLResponse:
    """The link and its alert, or the page that refuses it."""
    reads = request.app.state.parts.api_queries.alert_reads
    try:
        link = reads.signer.open(token[:2000], datetime.now(UTC))
    except LinkRefused as exc:
        if exc.why == "expired":
            return _page("Link expired", f"Sorry, {exc}. Open the alert on the dashboard "
                         "instead, or use a link from a newer message.", 410)  # fmt: skip
        return _page("Link not valid", f"Sorry, {exc}.", 403)
    used = reads.link_used(link.nonce)
    if used is not None:
        return _page("Link already used", f"This link was already used on "
                     f"{used:%d %B %Y at %H:%M} UTC; each link works once.", 410)  # fmt: skip
    alert = request.app.state.parts.api_queries.alert(link.alert_id)
    if alert is None:
        return _page("Not found", "The alert this link is about no longer exists.", 404)
    return link, alert


def _describe(request: Request, alert: dict[str, Any]) -> str:
    group = request.app.state.parts.api_queries.group(alert["group_id"]) or {}
    name = group.get("name") or alert["group_id"]
    what = alert["kind"].replace("-", " ")
    return f"{name}: {what} (status: {alert['status']})"


def _form(token: str, link: ActionLink) -> str:
    ask = ""
    if link.action == "reached_out":
        options = "".join(f'<option value="{k}">{k}</option>' for k in ("message", "call",
                                                                         "meeting"))  # fmt: skip
        ask = (f'<label for="kind">How</label><select id="kind" name="kind">{options}</select>'
               '<label for="note">Note (optional, no personal data)</label>'
               '<input id="note" name="note" maxlength="500">')  # fmt: skip
    return (f'<form method="post" action="/a/{h(token)}" class="ack">{ask}'
            f'<button type="submit">{h(ACTION_WORDS[link.action])}</button></form>')  # fmt: skip


@router.get("/a/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> HTMLResponse:
    """What the link will do, and the button that does it (nothing changes on a GET)."""
    checked = _check(request, token)
    if isinstance(checked, HTMLResponse):
        return checked
    link, alert = checked
    text = f"{ACTION_WORDS[link.action]} — {_describe(request, alert)}"
    return _page("Confirm", text, extra=_form(token, link))


@router.post("/a/{token}", response_class=HTMLResponse)
async def act(request: Request, token: str) -> HTMLResponse:
    """Do what the link says, once."""
    checked = await run_in_threadpool(_check, request, token)
    if isinstance(checked, HTMLResponse):
        return checked
    link, alert = checked
    form = parse_qs((await request.body())[:4_000].decode("utf-8", "replace"))
    note = (form.get("note") or [""])[0][:500]
    if link.action in ("reached_out", "ended"):
        kind = "ended" if link.action == "ended" else (form.get("kind") or ["message"])[0]
        if kind not in ("message", "call", "meeting", "ended"):
            return _page("Not done", "kind: choose message, call or meeting.", 422)
        group = await run_in_threadpool(request.app.state.parts.api_queries.group,
                                        alert["group_id"])  # fmt: skip
        try:
            await log_intervention(request.app.state.parts, group or alert, link.recipient,
                                   kind, note, f"link:{link.recipient}",
                                   message_id=f"link-{link.nonce}")  # fmt: skip
        except ApiError as exc:
            return _page("Not done", f"Sorry: {exc.message}", exc.status)
    reads = request.app.state.parts.api_queries.alert_reads
    try:
        done = await run_in_threadpool(reads.act, link, note)
    except ValueError as exc:
        return _page("Not done", f"Sorry: {exc}.", 409)
    if done is None:
        return _page("Link already used", "This link was used a moment ago; each link "
                     "works once.", 410)  # fmt: skip
    return _page("Done", DONE[link.action])

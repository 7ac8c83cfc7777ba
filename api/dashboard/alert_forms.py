"""The dashboard's action forms: un-acknowledge, snooze until a date, log an intervention.

They POST like the acknowledge form (:mod:`api.dashboard.views`): the session cookie is
SameSite=Strict, so another site cannot post them. Each goes back to the page it came
from (``next``: the alerts page or a group page, nothing else). Something the token may
not see answers the same 404 page as something missing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.dashboard.routes import PageError, reader
from api.errors import ApiError
from api.interventions import log_intervention
from api.routes.alerts import MAX_SNOOZE

router = APIRouter(include_in_schema=False)


async def form_of(request: Request) -> dict[str, str]:
    """The posted form's first value per field."""
    form = parse_qs((await request.body())[:10_000].decode("utf-8", "replace"))
    return {k: v[0] for k, v in form.items() if v}


def back_to(form: dict[str, str], default: str = "/alerts") -> str:
    """Where to go after a form: ``next`` when it is the alerts page or a group page."""
    wanted = form.get("next", "")
    ok = wanted == "/alerts" or (wanted.startswith("/groups/") and "//" not in wanted
                                 and all(c.isalnum() or c in "/-" for c in wanted))  # fmt: skip
    return wanted if ok else default


def _alert(request: Request, alert_id: str) -> tuple[Any, Any]:
    token = reader(request)
    q = request.app.state.parts.api_queries
    found = q.alert(alert_id)
    if found is None or not q.alert_visible(token, found):
        raise PageError(404, "Not found", "No such alert.")
    return token, q


@router.post("/alerts/{alert_id}/unack")
async def unacknowledge(request: Request, alert_id: str) -> Response:
    """Take an acknowledgement back (the comment is kept)."""
    token, q = await run_in_threadpool(_alert, request, alert_id)
    form = await form_of(request)
    try:
        await run_in_threadpool(q.alert_reads.unacknowledge, alert_id, f"token:{token.name}")
    except ValueError as exc:
        raise PageError(409, "Not done", str(exc)) from None
    return RedirectResponse(back_to(form), status_code=303)


def snooze_end(text: str, now: datetime) -> datetime:
    """A date input's value as the start of that day (UTC), which must be in the future."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise PageError(400, "Not done", "until: give a date as YYYY-MM-DD.") from None
    until = datetime.combine(day, time(0), UTC)
    if until <= now or until > now + MAX_SNOOZE:
        raise PageError(400, "Not done", "until: the date must be in the future, within a year.")
    return until


@router.post("/alerts/{alert_id}/snooze")
async def snooze(request: Request, alert_id: str) -> Response:
    """Snooze until the start of the chosen day (or until the situation gets worse)."""
    token, q = await run_in_threadpool(_alert, request, alert_id)
    form = await form_of(request)
    until = snooze_end(form.get("until", ""), datetime.now(UTC))
    try:
        await run_in_threadpool(q.alert_reads.snooze, alert_id, until, f"token:{token.name}")
    except ValueError as exc:
        raise PageError(409, "Not done", str(exc)) from None
    return RedirectResponse(back_to(form), status_code=303)


@router.post("/groups/{group_id}/interventions")
async def intervene(request: Request, group_id: str) -> Response:
    """Log an intervention for the signed-in coordinator (a coordinator-bound token), else
    for the coordinator the form names, else the group's own coordinator."""
    token = reader(request)
    q = request.app.state.parts.api_queries
    found = await run_in_threadpool(q.group, group_id)
    if found is None or not token.sees_group(found):
        raise PageError(404, "Not found", "No such group.")
    form = await form_of(request)
    who = token.coordinator or form.get("coordinator") or found.get("coordinator_id")
    if not who:
        raise PageError(400, "Not done", "coordinator: this group has no coordinator; "
                        "use a coordinator's token.")  # fmt: skip
    try:
        await log_intervention(request.app.state.parts, found, str(who), form.get("kind", ""),
                               form.get("note", "")[:500], token.id)  # fmt: skip
    except ApiError as exc:
        raise PageError(exc.status if exc.status < 500 else 503, "Not done",
                        exc.message) from None  # fmt: skip
    back = back_to(form, f"/groups/{found['group_id']}")
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}logged={form.get('kind', '')}", status_code=303)

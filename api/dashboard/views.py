"""Dashboard pages: the overview, a program (triage), the caseload, a group and the alerts.

A coordinator-bound token (``tokens create --coordinator``) sees only its coordinator's
groups and their alerts everywhere here; anything it may not see answers the same 404 page
as something missing. Filters are plain GET forms (:mod:`api.dashboard.triage_page`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import triage
from api.auth.tokens import ApiToken
from api.dashboard import triage_page
from api.dashboard.alert_forms import back_to
from api.dashboard.alerts_page import alerts_page
from api.dashboard.group_page import group_page
from api.dashboard.html import layout
from api.dashboard.outcomes import outcomes_line
from api.dashboard.pages import alert_summary, program_page, programs_page
from api.dashboard.routes import PageError, reader
from api.triage import GroupFilter

router = APIRouter(include_in_schema=False)


def _missing(what: str) -> PageError:
    """The one answer for a missing thing and for one the token may not see."""
    return PageError(404, "Not found", f"No such {what}.")


def _queries(request: Request):
    return request.app.state.parts.api_queries


def _choice(request: Request, program: str | None = None) -> triage_page.Choice:
    try:
        return triage_page.choice_of(parse_qs(request.url.query), program)
    except triage_page.BadFilter as exc:
        raise PageError(400, "Bad filter", str(exc)) from None


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> str:
    """Every program the reader covers."""
    token = reader(request)
    q = _queries(request)
    counts = triage.alert_counts(q.open_alerts(token))
    programs = [{**p, "levels": _levels(q, token, p["program_id"])} if token.coordinator
                else p for p in q.programs(token)]  # fmt: skip
    return programs_page(programs, alert_summary(counts, "/alerts"))


def _levels(q: Any, token: ApiToken, program_id: str) -> dict[str, int]:
    counts = q.level_counts(token, GroupFilter(program=program_id))
    return {lv: counts.get(lv, 0) for lv in triage.LEVELS}


@router.get("/programs/{program_id}", response_class=HTMLResponse)
def program(request: Request, program_id: str) -> str:
    """One program: levels, alerts, weekly chart, then the triage view."""
    token = reader(request)
    q = _queries(request)
    pid = str(_uuid(program_id, "program"))
    found = q.program(pid) if token.sees(pid) else None
    if found is None:
        raise _missing("program")
    choice = _choice(request, pid)
    counts = triage.alert_counts(q.open_alerts(token, program=pid))
    summary = alert_summary(counts, f"/alerts?program={pid}")
    summary += outcomes_line(q.program_outcomes(pid))
    return program_page(found, _levels(q, token, pid), triage_page.view(q, token, choice),
                        q.trend(pid), summary)  # fmt: skip


@router.get("/caseload", response_class=HTMLResponse)
def caseload(request: Request) -> str:
    """Every group the reader covers across programs, in triage order: for a
    coordinator-bound token, that coordinator's caseload."""
    token = reader(request)
    q = _queries(request)
    choice = _choice(request)
    if choice.filter.program is not None and not token.sees(choice.filter.program):
        raise _missing("program")
    programs = q.programs(token)
    title = "My caseload" if token.coordinator else "All groups"
    body = triage_page.view(q, token, choice, programs=programs)
    return layout(title, body, nav="/caseload")


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def group(request: Request, group_id: str) -> str:
    """One group: reasons, heatmap, commitments, history."""
    token = reader(request)
    q = _queries(request)
    found = q.group(str(_uuid(group_id, "group")))
    if found is None or not token.sees_group(found):
        raise _missing("group")
    program = q.program(found["program_id"]) if found.get("program_id") else None
    members = q.members(found["group_id"])
    alerts = [a for a in q.open_alerts(token, program=found["program_id"])
              if a["group_id"] == found["group_id"]]  # fmt: skip
    who = q.coordinator_label(found.get("program_id"), found.get("coordinator_id"))
    return group_page(q.group_detail(found), members, program and program.get("name"),
                      alerts, token.coordinator, who)  # fmt: skip


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request) -> str:
    """Every unresolved alert the reader may see (of one program with ``?program=``)."""
    token = reader(request)
    q = _queries(request)
    wanted = request.query_params.get("program")
    pid = str(_uuid(wanted, "program")) if wanted else None
    if pid is not None and not token.sees(pid):
        raise _missing("program")
    found = q.open_alerts(token, program=pid)
    found.sort(key=lambda a: a.get("raised_at") or "", reverse=True)
    summary = alert_summary(triage.alert_counts(found), "/caseload?acknowledged=false")
    return alerts_page(found, q.group_names({a["group_id"] for a in found}), summary)


@router.post("/alerts/{alert_id}/ack")
async def acknowledge(request: Request, alert_id: str) -> Response:
    """The acknowledge form: record the comment, then back to the alerts page."""
    token = reader(request)
    q = _queries(request)
    form = parse_qs((await request.body())[:10_000].decode("utf-8", "replace"))
    comment = (form.get("comment") or [""])[0][:2000]
    found = q.alert(alert_id)
    if found is None or not q.alert_visible(token, found):
        raise _missing("alert")
    if found["status"] != "resolved":
        q.acknowledge(alert_id, by=f"token:{token.name}", comment=comment)
    return RedirectResponse(back_to({k: v[0] for k, v in form.items() if v}), status_code=303)


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise _missing(what) from None

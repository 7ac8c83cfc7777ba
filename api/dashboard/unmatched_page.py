"""The unmatched page: attendance the roster did not know, to map or reject (decision 0021).

``/programs/{id}/unmatched`` lists a program's held items, oldest first, each with a form
to map it (to a member of its group's roster, or to a group of the program) and one to
reject it with a reason. The forms POST like the alerts page's acknowledge form (the
session cookie is SameSite=Strict, so another site cannot post them) and publish the
same ``unmatched.mapped`` / ``.rejected`` messages as the API; ingest applies them, so
the item leaves the list once ingest has caught up.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.dashboard.html import h, layout, table, when
from api.dashboard.routes import PageError, reader
from api.errors import ApiError
from api.onboarding import publish_raw, unmatched_items
from api.triage import GroupFilter
from infra.contract.inbound import unmatched as u

router = APIRouter(include_in_schema=False)
WHY = {"unknown-group": "group not on the roster", "unknown-member": "member not on the roster"}


@router.get("/programs/{program_id}/unmatched", response_class=HTMLResponse)
async def unmatched(request: Request, program_id: str) -> str:
    """The program's held attendance with map and reject forms."""
    token, pid, found = await _program(request, program_id)
    inbox = await run_in_threadpool(request.app.state.parts.app.unmatched, UUID(pid))
    items = unmatched_items(inbox)["open"]
    q = request.app.state.parts.api_queries
    _, groups = await run_in_threadpool(q.groups, token, GroupFilter(program=pid), "name", 500)
    rows = [await _row(q, pid, item, groups) for item in items]
    note = request.query_params.get("sent")
    said = (f'<p role="status">Sent: the item is {h(note)} once ingest has applied it.</p>'
            if note in ("mapped", "rejected") else "")  # fmt: skip
    body = (f'<p><a href="/programs/{h(pid)}">{h(found.get("name"))}</a>: attendance that '
            "named a group or member the roster does not know. Map it to who (or which "
            "group) it meant, or reject it.</p>" + said
            + table("Unmatched attendance, oldest first",
                    ["When", "Group", "Session", "Marks", "Why", "Map", "Reject"], rows,
                    table_id="unmatched", empty="Nothing unmatched."))  # fmt: skip
    return layout(f"Unmatched: {found.get('name')}", body, nav="/")


async def _program(request: Request, program_id: str) -> tuple[Any, str, dict[str, Any]]:
    token = reader(request)
    try:
        pid = str(UUID(program_id))
    except ValueError:
        raise PageError(404, "Not found", "No such program.") from None
    q = request.app.state.parts.api_queries
    found = await run_in_threadpool(q.program, pid) if token.sees(pid) else None
    if found is None:
        raise PageError(404, "Not found", "No such program.")
    return token, pid, found


async def _row(q: Any, pid: str, item: dict[str, Any], groups: list[dict]) -> list[str]:
    marks = ", ".join(f"{h(m['member'])} {h(m['status'])}" for m in item["marks"]) or "—"
    if item["reason"] == "unknown-member":
        members = await run_in_threadpool(q.members, item["group_id"])
        field = "to_member"
        options = [(m["member_id"], m.get("display_name") or m.get("pseudonym")
                    or m["member_id"][:8]) for m in members]  # fmt: skip
        group = f'<a href="/groups/{h(item["group_id"])}">{h(item["group"])}</a>'
    else:
        field, group = "to_group", h(item["group"])
        options = [(g["group_id"], g.get("name") or g["group_id"][:8]) for g in groups]
    iid = h(item["item"])
    action = f"/programs/{h(pid)}/unmatched/{iid}"
    choices = "".join(f'<option value="{h(v)}">{h(t)}</option>' for v, t in options)
    mapping = (f'<form method="post" action="{action}/map" class="ack">'
               f'<label for="m-{iid}">Meant</label><select id="m-{iid}" name="{field}" '
               f'required>{choices}</select><button type="submit">Map</button></form>')  # fmt: skip
    reject = (f'<form method="post" action="{action}/reject" class="ack">'
              f'<label for="r-{iid}">Reason</label><input id="r-{iid}" name="reason" '
              'maxlength="500" placeholder="e.g. a visitor"><button type="submit">Reject'
              "</button></form>")  # fmt: skip
    return [when(item["at"], True), group, h(item["session"]), marks,
            h(WHY[item["reason"]]), mapping, reject]  # fmt: skip


@router.post("/programs/{program_id}/unmatched/{item}/{decision}")
async def decide(request: Request, program_id: str, item: str, decision: str) -> Response:
    """A map or reject form: publish the decision, then back to the list."""
    from api.routes.unmatched import check_target, common

    token, pid, _ = await _program(request, program_id)
    inbox = await run_in_threadpool(request.app.state.parts.app.unmatched, UUID(pid))
    held = None if inbox is None else inbox.open.get(item)
    if held is None or decision not in ("map", "reject"):
        raise PageError(404, "Not found", "No such unmatched item (already resolved?).")
    form = parse_qs((await request.body())[:10_000].decode("utf-8", "replace"))
    first = {k: v[0] for k, v in form.items() if v}
    try:
        if decision == "map":
            target = {k: _uuid(first.get(k)) for k in ("to_group", "to_member")}
            await run_in_threadpool(check_target, request.app.state.parts.app, UUID(pid),
                                    held, target)  # fmt: skip
            message = u.mapped_message(**common(held, token), **{
                k: str(v) for k, v in target.items() if v})  # fmt: skip
        else:
            message = u.rejected_message(**common(held, token),
                                         reason=first.get("reason", "")[:500])  # fmt: skip
    except (ApiError, u.InvalidUnmatched) as exc:
        raise PageError(400, "Not sent", str(exc)) from None
    await publish_raw(request.app.state.parts, u.encoded(message), token.id)
    done = "mapped" if decision == "map" else "rejected"
    return RedirectResponse(f"/programs/{pid}/unmatched?sent={done}", status_code=303)


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None

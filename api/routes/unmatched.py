"""Unmatched attendance (decision 0021): list a program's held items, map or reject one.

Read scope, like acknowledging an alert: it is a coordinator's decision. Map and reject
publish ``unmatched.mapped`` / ``unmatched.rejected`` on the attendance topic (202);
ingest applies them (the held attendance is recorded on the chosen group or member, or
dropped with a record), so the list changes once ingest has caught up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth.deps import check_program, not_found, require
from api.auth.tokens import ApiToken, Scope
from api.errors import ApiError
from api.onboarding import publish_raw, unmatched_items
from api.openapi import errors
from api.schemas import ErrorResponse
from infra.contract.inbound import unmatched as u

router = APIRouter(tags=["unmatched"])
"""Included by :mod:`api.routes.onboarding` under its ``/v1`` prefix."""
Reader = Annotated[ApiToken, Depends(require(Scope.READ))]
ProgramId = Annotated[UUID, Path(description="The program's peerpulse id.")]
ItemId = Annotated[UUID, Path(description="The unmatched item's id.")]


class Mark(BaseModel):
    """One member's mark as the sender gave it."""

    member: str = Field(description="The sender's id for the member.")
    member_id: str
    status: Literal["present", "absent", "excused"]


class Item(BaseModel):
    """Attendance held because the roster did not know a group or member it named."""

    item: str
    reason: Literal["unknown-group", "unknown-member"]
    source: str
    program: str
    group: str = Field(description="The sender's id for the group.")
    group_id: str
    session: str
    at: str = Field(description="When the session or mark happened (ISO 8601).")
    roll_call: bool
    marks: list[Mark]


class Resolved(Item):
    """A held item a coordinator mapped or rejected, or the roster released."""

    outcome: Literal["mapped", "rejected", "released"]
    resolved_at: str
    by: str | None
    reason_given: str | None
    target: str | None


class UnmatchedList(BaseModel):
    """A program's unmatched attendance."""

    open: list[Item]
    resolved: list[Resolved] = Field(description="Only with `?resolved=true`.")


class MapTo(BaseModel):
    """The group (for an unknown group) or member (for an unknown member) it meant."""

    model_config = ConfigDict(extra="forbid")

    to_group: UUID | None = None
    to_member: UUID | None = None


class Reject(BaseModel):
    """Why the item is dropped (kept with the record)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)


class Sent(BaseModel):
    """202: the decision is on the attendance topic; ingest applies it."""

    item: str
    message_id: str


_ERRORS = errors({
    400: "The body is not JSON, or not UTF-8 (`invalid_json`, `not_utf8`).",
    404: "No such open item in this program, or a program the token may not see.",
    422: "The body is invalid, e.g. both or neither of `to_group` and `to_member`, or a "
    "target the roster does not know; `field` names it.",
})  # fmt: skip
_ERRORS[503] = {"model": ErrorResponse, "description": "The broker did not take the "
                "message; re-send later."}  # fmt: skip


@router.get("/programs/{program_id}/unmatched", response_model=UnmatchedList,
            responses=errors({404: "Not used: a program with nothing held has an empty list."}),
            summary="Attendance held because the roster did not know what it named")  # fmt: skip
async def list_unmatched(request: Request, token: Reader, program_id: ProgramId,
                         resolved: Annotated[bool, Query()] = False) -> dict[str, Any]:  # fmt: skip
    """Open items oldest first; ``resolved=true`` adds what became of the others."""
    check_program(token, program_id, field="program_id")
    inbox = await run_in_threadpool(request.app.state.parts.app.unmatched, program_id)
    return unmatched_items(inbox, resolved)


async def _open_item(request: Request, token: ApiToken, program_id: UUID,
                     item: UUID) -> dict[str, Any]:  # fmt: skip
    check_program(token, program_id, field="program_id")
    inbox = await run_in_threadpool(request.app.state.parts.app.unmatched, program_id)
    if inbox is None or str(item) not in inbox.open:
        raise not_found("unmatched item", field="item")
    return inbox.open[str(item)]


@router.post("/programs/{program_id}/unmatched/{item}/map", status_code=202,
             response_model=Sent, responses=_ERRORS,
             summary="Apply held attendance to a group or member the roster knows")  # fmt: skip
async def map_unmatched(request: Request, token: Reader, program_id: ProgramId, item: ItemId,
                        body: Annotated[MapTo, Body()]) -> JSONResponse:  # fmt: skip
    """The sender's id is matched to the chosen group or member from then on."""
    held = await _open_item(request, token, program_id, item)
    target = {"to_group": body.to_group, "to_member": body.to_member}
    await run_in_threadpool(check_target, request.app.state.parts.app, program_id, held,
                            target)  # fmt: skip
    make = lambda now: u.mapped_message(  # noqa: E731
        **common(held, token, now), **{k: str(v) for k, v in target.items() if v}
    )
    return await _send(request, token, held, make)


@router.post("/programs/{program_id}/unmatched/{item}/reject", status_code=202,
             response_model=Sent, responses=_ERRORS,
             summary="Drop held attendance, with a record of who and why")  # fmt: skip
async def reject_unmatched(request: Request, token: Reader, program_id: ProgramId,
                           item: ItemId,
                           body: Annotated[Reject, Body()]) -> JSONResponse:  # fmt: skip
    """The item is dropped; the same attendance arriving again stays rejected."""
    held = await _open_item(request, token, program_id, item)
    make = lambda now: u.rejected_message(**common(held, token, now), reason=body.reason)  # noqa: E731
    return await _send(request, token, held, make)


def common(held: dict[str, Any], token: ApiToken, now: datetime | None = None) -> dict[str, Any]:
    """The fields every decision on ``held`` carries (``now`` by default)."""
    return {"source": held["source"], "program": held["program"], "item": held["item"],
            "coordinator": f"token:{token.name}",
            "occurred_at": now or datetime.now(UTC)}  # fmt: skip


async def _send(request: Request, token: ApiToken, held: dict[str, Any], make: Any) -> JSONResponse:
    try:
        message = make(datetime.now(UTC))
    except u.InvalidUnmatched as exc:
        raise ApiError(422, str(exc), field="body") from None
    sent = await publish_raw(request.app.state.parts, u.encoded(message), token.id)
    return JSONResponse({"item": held["item"], "message_id": sent}, status_code=202)


def check_target(app: Any, program_id: UUID, held: dict[str, Any], target: dict) -> None:
    """422 unless exactly the target the item needs is given, and the roster knows it."""
    wanted = "to_group" if held["reason"] == "unknown-group" else "to_member"
    other = "to_member" if wanted == "to_group" else "to_group"
    if target[wanted] is None or target[other] is not None:
        raise ApiError(422, f"this item names an unknown {wanted[3:]}: give {wanted} only",
                       field=f"body.{wanted}")  # fmt: skip
    from domain.errors import UnknownGroup

    try:
        group = app.get_group(target["to_group"] or UUID(held["group_id"]))
    except UnknownGroup:
        group = None
    if wanted == "to_group" and (group is None or group.program_id != program_id):
        raise ApiError(422, "to_group: no such group in this program", field="body.to_group")
    if wanted == "to_member" and (group is None or not group.ever_joined(target["to_member"])):
        raise ApiError(422, "to_member: not on the group's roster", field="body.to_member")

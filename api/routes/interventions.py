"""``POST /v1/groups/{group_id}/interventions``: log what a coordinator did for a group.

The intervention is published for ingest to apply (decision 0019): 202 means it is on the
attendance topic, not yet in the event store. The coordinator is the token's (a
coordinator-bound token) or the body's ``coordinator``.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth.deps import not_found, require
from api.auth.tokens import ApiToken, Scope
from api.errors import ApiError
from api.interventions import log_intervention
from api.openapi import errors

router = APIRouter(prefix="/v1", tags=["groups"])
Reader = Annotated[ApiToken, Depends(require(Scope.READ))]
_ERRORS = errors({
    400: "The body is not JSON, or not UTF-8 (`invalid_json`, `not_utf8`).",
    404: "No such group, or one the token may not see (one answer).",
    503: "The broker did not take the message (`broker_unavailable`); try again.",
})  # fmt: skip


class Intervention(BaseModel):
    """What the coordinator did; ``ended`` concludes the group (decision 0019)."""

    kind: Literal["call", "message", "meeting", "ended"]
    note: str = Field("", max_length=500, description="A short note; no personal data.")
    coordinator: UUID | None = Field(
        None, description="Who acted: required unless the token is bound to a coordinator "
        "(then it must be that coordinator, or left out).",
    )  # fmt: skip


class InterventionAccepted(BaseModel):
    """202: the intervention is on ``peerpulse.attendance.v1``; ingest applies it."""

    group_id: str
    coordinator: str
    kind: str
    message_id: str = Field(description="The published message's CloudEvents id.")


@router.post("/groups/{group_id}/interventions", status_code=202,
             response_model=InterventionAccepted, responses=_ERRORS,
             summary="Log an intervention (call, message, meeting, ended) on a group")  # fmt: skip
async def intervene(
    request: Request, token: Reader, group_id: Annotated[UUID, Path()], body: Intervention
) -> JSONResponse:
    """Publish the intervention for ingest to apply; 422 naming the field when the
    coordinator is missing, not the token's, or not a coordinator of the group's program."""
    parts = request.app.state.parts
    group = parts.api_queries.group(str(group_id))
    if group is None or not token.sees(group["program_id"]) or not token.sees_group(group):
        raise not_found("group", field="group_id")
    coordinator = _coordinator(token, body.coordinator)
    sent = await log_intervention(parts, group, coordinator, body.kind, body.note,
                                  token.id)  # fmt: skip
    answer = InterventionAccepted(group_id=group["group_id"], coordinator=coordinator,
                                  kind=body.kind, message_id=sent)  # fmt: skip
    return JSONResponse(answer.model_dump(), status_code=202)


def _coordinator(token: ApiToken, given: UUID | None) -> str:
    bound = getattr(token, "coordinator", None)
    if bound is not None:
        if given is not None and str(given) != str(bound):
            raise ApiError(422, "this token acts for its own coordinator only", field="coordinator")
        return str(bound)
    if given is None:
        raise ApiError(422, "coordinator is required (the token is not bound to one)",
                       field="coordinator")  # fmt: skip
    return str(given)

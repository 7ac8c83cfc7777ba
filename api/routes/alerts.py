"""Alert endpoints: list alerts of the token's programs, acknowledge one with a comment."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from api.auth.deps import check_program, not_found, require
from api.auth.tokens import ApiToken, Scope
from api.errors import ApiError
from api.openapi import errors
from api.schemas import AlertList, AlertOut

router = APIRouter(prefix="/v1", tags=["alerts"])
Reader = Annotated[ApiToken, Depends(require(Scope.READ))]
Status = Literal["open", "raised", "delivered", "acknowledged", "escalated", "snoozed",
                 "inhibited", "resolved", "failed"]  # fmt: skip
_ACK_ERRORS = errors({
    400: "The body is not JSON, or not UTF-8 (`invalid_json`, `not_utf8`).",
    404: "No such alert, or one outside the token's programs (one answer).",
    409: "The alert is already resolved.",
})  # fmt: skip


class Ack(BaseModel):
    """An acknowledgement: who is on it and what they will do."""

    comment: str = Field("", max_length=2000, description="What the coordinator will do.")


@router.get("/alerts", response_model=AlertList,
            summary="Alerts of the programs this token covers, newest first")  # fmt: skip
def list_alerts(
    request: Request, token: Reader,
    status: Annotated[Status | None, Query(description="`open`: any unresolved.")] = None,
    program: Annotated[UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:  # fmt: skip
    """Alerts with their lifecycle status; filtered to the token's programs."""
    if program is not None:
        check_program(token, program, field="program")
    items = request.app.state.parts.api_queries.alerts(token, status, program, limit)
    return {"items": items}


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, responses=_ACK_ERRORS,
             summary="Acknowledge an alert (stops escalation)")  # fmt: skip
def acknowledge(
    request: Request,
    token: Reader,
    alert_id: Annotated[str, Path(min_length=1, max_length=300)],
    ack: Annotated[Ack | None, Body()] = None,
) -> dict[str, Any]:
    """Record that the token's holder took the alert on, with an optional comment."""
    queries = request.app.state.parts.api_queries
    alert = queries.alert(alert_id)
    if alert is None or not token.sees(alert["program_id"]):
        raise not_found("alert", field="alert_id")
    if alert["status"] == "resolved":
        raise ApiError(409, f"alert {alert_id} is already resolved", field="alert_id",
                       code="conflict")  # fmt: skip
    return queries.acknowledge(alert_id, by=f"token:{token.name}", comment=(ack or Ack()).comment)

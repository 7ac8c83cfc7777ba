"""Alert endpoints: list alerts of the token's programs; acknowledge one with a comment,
take the acknowledgement back, snooze it until a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from api import shape
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
    404: "No such alert, or one the token may not see (one answer).",
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
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Alerts to skip.")] = 0,
) -> dict[str, Any]:  # fmt: skip
    """A page of alerts with their lifecycle status, ``total`` counting every match;
    filtered to the token's programs (and a coordinator-bound token's groups)."""
    if program is not None:
        check_program(token, program, field="program")
    queries = request.app.state.parts.api_queries
    total, items = queries.alerts(token, status, program, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


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
    if alert is None or not queries.alert_visible(token, alert):
        raise not_found("alert", field="alert_id")
    if alert["status"] == "resolved":
        raise ApiError(409, f"alert {alert_id} is already resolved", field="alert_id",
                       code="conflict")  # fmt: skip
    return queries.acknowledge(alert_id, by=f"token:{token.name}", comment=(ack or Ack()).comment)


_CHANGE_ERRORS = errors({
    400: "The body is not JSON, or not UTF-8 (`invalid_json`, `not_utf8`).",
    404: "No such alert, or one the token may not see (one answer).",
    409: "The alert's state does not allow it (resolved; for unack: not acknowledged).",
})  # fmt: skip


MAX_SNOOZE = timedelta(days=366)
"""The longest snooze: further than a year is not a snooze."""


class Snooze(BaseModel):
    """How long to stay quiet: until this moment, or until the situation gets worse."""

    until: datetime = Field(
        description="When the snooze ends, with a UTC offset: in the future, within 366 days."
    )


def _visible(request: Request, token: ApiToken, alert_id: str) -> Any:
    queries = request.app.state.parts.api_queries
    alert = queries.alert(alert_id)
    if alert is None or not queries.alert_visible(token, alert):
        raise not_found("alert", field="alert_id")
    return queries


def _conflict(alert_id: str, exc: Exception) -> ApiError:
    return ApiError(409, str(exc), field="alert_id", code="conflict")


@router.post("/alerts/{alert_id}/unack", response_model=AlertOut, responses=_CHANGE_ERRORS,
             summary="Take an acknowledgement back (the alert waits again)")  # fmt: skip
def unacknowledge(
    request: Request, token: Reader, alert_id: Annotated[str, Path(min_length=1, max_length=300)]
) -> dict[str, Any]:
    """The alert waits for a coordinator again and its escalation clock restarts; the
    acknowledgement's comment is kept (on the alert and in its log)."""
    queries = _visible(request, token, alert_id)
    try:
        found = queries.alert_reads.unacknowledge(alert_id, by=f"token:{token.name}")
    except ValueError as exc:
        raise _conflict(alert_id, exc) from None
    return shape.alert(found)


@router.post("/alerts/{alert_id}/snooze", response_model=AlertOut, responses=_CHANGE_ERRORS,
             summary="Snooze an alert until a moment (or until it gets worse)")  # fmt: skip
def snooze(
    request: Request, token: Reader,
    alert_id: Annotated[str, Path(min_length=1, max_length=300)], body: Snooze,
) -> dict[str, Any]:  # fmt: skip
    """Quiet until ``until``; a worse situation ends the snooze at once. An acknowledged
    alert keeps its acknowledgement and comment, and is acknowledged again when the snooze
    ends. 422 when ``until`` is not in the future, or more than a year ahead."""
    queries = _visible(request, token, alert_id)
    now = datetime.now(UTC)
    until = body.until if body.until.tzinfo else body.until.replace(tzinfo=UTC)
    if until <= now:
        raise ApiError(422, "until must be in the future", field="body.until")
    if until > now + MAX_SNOOZE:
        raise ApiError(422, f"until must be within {MAX_SNOOZE.days} days", field="body.until")
    try:
        found = queries.alert_reads.snooze(alert_id, until, by=f"token:{token.name}")
    except ValueError as exc:
        raise _conflict(alert_id, exc) from None
    return shape.alert(found)

"""``POST /v1/attendance``: the attendance topic's contract over HTTP."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.auth.deps import check_program, require
from api.auth.tokens import ApiToken, Scope
from api.errors import ApiError
from api.ingest import (
    MAX_BATCH,
    MEDIA_TYPES,
    check_media_type,
    parse_attendance,
    seal_personal,
    unavailable,
)
from api.openapi import errors, message_body
from api.ports import ApiParts
from api.schemas import AttendanceAccepted, ErrorResponse
from infra.contract.inbound.ids import Ids
from infra.contract.inbound.redaction import PERSONAL_FIELDS
from infra.limits import MAX_MESSAGE_BYTES
from infra.metrics import API_ATTENDANCE_ACCEPTED, API_ATTENDANCE_REJECTED

router = APIRouter(prefix="/v1", tags=["ingest"])

_BODY = {
    "requestBody": {
        "required": True,
        "description": "One message, or a JSON array of 1 to 1000 (all-or-nothing), each "
        "valid against the published schema its `type` names (docs/contract/ingest/). "
        "The server checks more than a schema can say: see 422.",
        "content": {media: message_body(MAX_BATCH) for media in MEDIA_TYPES},
    }
}
_ERRORS = errors({
    400: "The body is not JSON, or not UTF-8 (`invalid_json`, `not_utf8`).",
    413: f"The body is over {MAX_MESSAGE_BYTES} bytes, or the batch over {MAX_BATCH} "
    "messages (`too_large`).",
    415: f"`Content-Type` is not one of {', '.join(MEDIA_TYPES)}.",
    403: "The token lacks the `ingest` scope, or does not cover a message's `data.program`.",
    422: "A message breaks the contract, or the batch is empty; `field` names where "
    "(`[index].` in a batch) and `code` says how (e.g. `missing_field`, `unknown_type`, "
    "`invalid_field`). Also for what a schema cannot say: a `time` more than a day ahead or "
    "over ten years back (`future_time`, `past_time`), a member twice in one roll call, a "
    "roll call with `attendance_taken: false`, a person whose data was forgotten "
    "(`member_forgotten`).",
})  # fmt: skip
_ERRORS[503] = {
    "model": ErrorResponse,
    "description": "Not accepted now; re-send after `Retry-After` seconds. Codes: `busy` (the "
    "door holds `PEERPULSE_API_MAX_PENDING` requests, or the producer its bound of "
    "unacknowledged messages; answered at once), `broker_timeout` (no acknowledgement within "
    "0.5 s: the messages may or may not be written), `broker_unavailable` (the broker "
    "refused them). Re-sending is safe: ingest is idempotent by (source, id).",
    "headers": {"Retry-After": {"description": "Seconds to wait before re-sending.",
                                "schema": {"type": "integer"}}},
}  # fmt: skip


class _Door:
    """The POSTs in progress (from routing to answer), at most ``bound`` at once."""

    def __init__(self, bound: int) -> None:
        self.bound, self.inside = bound, 0


async def _through_door(request: Request) -> AsyncIterator[None]:
    """Refuse at once (503, ``busy``) when the door holds its bound; before auth and parsing."""
    door = getattr(request.app.state, "attendance_door", None)
    if door is None:
        door = request.app.state.attendance_door = _Door(
            request.app.state.parts.settings.api_max_pending
        )
    if door.inside >= door.bound:
        raise unavailable(f"{door.inside} attendance requests are in progress (at most "
                          f"{door.bound}); re-send later", "busy")  # fmt: skip
    door.inside += 1
    try:
        yield
    finally:
        door.inside -= 1


@router.post(
    "/attendance", status_code=202, response_model=AttendanceAccepted, responses=_ERRORS,
    summary="Post one attendance message or a JSON array of them", openapi_extra=_BODY,
)  # fmt: skip
async def post_attendance(
    request: Request,
    _door: Annotated[None, Depends(_through_door)],
    token: Annotated[ApiToken, Depends(require(Scope.INGEST))],
) -> JSONResponse:
    """Validate against the ingest contract (docs/contract/ingest) and produce to Kafka.

    Names and contacts are sealed with the person's key before they are produced.
    202 means every message is on ``peerpulse.attendance.v1``; a batch is all-or-nothing.
    Every request is answered within about a second: past the door's bound or the broker's
    deadline the answer is 503 with ``Retry-After``, never a queue.
    """
    try:
        check_media_type(request.headers.get("content-type"))
        body = await _read_limited(request)
        accepted = parse_attendance(body, datetime.now(UTC))
        for index, item in enumerate(accepted):
            program = Ids(item.command.source, item.command.data).program
            where = f"[{index}].data.program" if len(accepted) > 1 else "data.program"
            check_program(token, program, field=where)
        accepted = await _sealed(request.app.state.parts, accepted)
    except ApiError as exc:
        API_ATTENDANCE_REJECTED.labels(code=exc.code).inc()
        raise
    headers = [("pp-received-via", b"http"), ("pp-api-token", token.id.encode())]
    publisher = request.app.state.parts.attendance_publisher
    records = await _publish(publisher, accepted, headers)
    API_ATTENDANCE_ACCEPTED.inc(len(accepted))
    body = AttendanceAccepted(
        accepted=len(accepted),
        ids=[a.command.message.id for a in accepted],
        records=[{"partition": r.partition, "offset": r.offset} for r in records],
    )
    return JSONResponse(body.model_dump(), status_code=202)


async def _sealed(parts: ApiParts, accepted: list) -> list:
    """Personal data sealed before it is produced (the vault's I/O off the event loop)."""
    if not any(PERSONAL_FIELDS.get(a.command.type) for a in accepted):
        return accepted
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(seal_personal, accepted, parts.vault)


async def _publish(publisher, accepted, headers) -> list:
    """The publisher's records; a synchronous publisher (a test double) runs in a thread."""
    if inspect.iscoroutinefunction(publisher.publish):
        return await publisher.publish(accepted, headers)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(publisher.publish, accepted, headers)


async def _read_limited(request: Request) -> bytes:
    """The body, refusing (413) anything over the contract's limit without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_MESSAGE_BYTES:
        raise ApiError(
            413, f"the body is {declared} bytes; the limit is {MAX_MESSAGE_BYTES}", "body"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_MESSAGE_BYTES:
            raise ApiError(413, f"the body is over the limit of {MAX_MESSAGE_BYTES} bytes", "body")
        chunks.append(chunk)
    return b"".join(chunks)

"""Operational endpoints: liveness, readiness (store and broker), Prometheus metrics, and
the pipeline's status (``GET /v1/status``, for tokens with the ``ops`` scope)."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from api.auth.deps import require
from api.auth.tokens import ApiToken, Scope
from api.errors import ApiError
from api.health import readiness
from api.schemas import ErrorResponse, StatusOut
from infra.errors import UserFacingError

router = APIRouter(tags=["operations"])
STATUS_FRESH_S = 2.0
"""How long one status reading answers ``/v1/status`` (a reading costs a few broker round
trips and SQL queries; pollers and concurrent requests share it)."""
_reading = threading.Lock()


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Always 200 while the process serves requests."""
    return {"status": "ok"}


@router.get(
    "/readyz", summary="Readiness: the store and the broker answer",
    responses={503: {"description": "a dependency failed; `checks` names which"}},
)  # fmt: skip
def readyz(request: Request) -> JSONResponse:
    """200 when every dependency answers, else 503 naming the failed one(s)."""
    checks = readiness(request.app.state.parts)
    ok = all(c["ok"] for c in checks.values())
    failed = [name for name, c in checks.items() if not c["ok"]]
    body = {"status": "ready" if ok else "unavailable", "failed": failed, "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    """Every metric of this process in the Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/v1/status", response_model=StatusOut,
    summary="The pipeline's roles: lock holder, partitions, lag (ops scope)",
    responses={**{s: {"model": ErrorResponse} for s in (401, 403)},
               503: {"model": ErrorResponse, "description": "the broker or the store does "
                     "not answer; the message names which"}},
)  # fmt: skip
def status(
    request: Request, token: Annotated[ApiToken, Depends(require(Scope.OPS))]
) -> dict[str, Any]:
    """Per role (ingest, relay, projection worker, alert router): the pid holding its lock,
    the partitions it owns, its lag per partition in records and in seconds; ``complete``
    false when a role could not be read (its ``error`` says why). As ``peerpulse status``;
    a reading answers for :data:`STATUS_FRESH_S` seconds."""
    state = request.app.state
    with _reading:
        taken, body = getattr(state, "status_reading", (float("-inf"), None))
        if body is not None and time.monotonic() - taken < STATUS_FRESH_S:
            return body
        try:
            body = state.parts.status_reader.read().to_dict()
        except UserFacingError as exc:
            raise ApiError(503, str(exc), code="unavailable") from None
        state.status_reading = (time.monotonic(), body)
        return body

"""Every API error is JSON naming the field at fault: ``{"error": {code, message, field}}``.

Route code raises :class:`ApiError`; FastAPI's own validation and HTTP errors are turned
into the same shape, and anything unexpected becomes a 500 without a stack trace. A body
that cannot be read as JSON is a 400 on every route (``invalid_json``, ``not_utf8``, as
``POST /v1/attendance`` answers), a readable body with a bad field a 422.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
          409: "conflict", 422: "invalid_field", 503: "unavailable"}  # fmt: skip


class ApiError(Exception):
    """An error answer: HTTP status, a bounded code, a message for a person, the field."""

    def __init__(
        self, status: int, message: str, field: str | None = None, code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.code = code or _CODES.get(status, "error")
        self.headers = headers


def error_body(status: int, message: str, field: str | None = None, code: str | None = None):
    """The JSON body of an error answer."""
    return {"error": {"code": code or _CODES.get(status, "error"), "message": message,
                      "field": field}}  # fmt: skip


def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    body = error_body(exc.status, exc.message, exc.field, exc.code)
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


_UNREADABLE_BODY = "There was an error parsing the body"
"""FastAPI's 400 detail for a JSON body it could not decode (not UTF-8)."""


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        why = (first.get("ctx") or {}).get("error", "invalid")
        message = f"body: not JSON: {why} at position {first['loc'][-1]}"
        return JSONResponse(error_body(400, message, "body", "invalid_json"), status_code=400)
    loc = tuple(first.get("loc", ()))
    if loc[:1] == ("query",):  # a repeated parameter's position says nothing to the caller
        loc = tuple(part for part in loc if not isinstance(part, int))
    field = ".".join(str(part) for part in loc) or None
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    message = f"{field or 'request'}: {first.get('msg', 'invalid')}{more}"
    return JSONResponse(error_body(422, message, field), status_code=422)


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
        body = error_body(400, "body: could not be read as UTF-8 JSON", "body", "not_utf8")
        return JSONResponse(body, status_code=400)
    body = error_body(exc.status_code, str(exc.detail))
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body(500, "internal error", code="internal"), status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

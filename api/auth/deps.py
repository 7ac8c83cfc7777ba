"""FastAPI dependencies that turn a request into an :class:`ApiToken` or a 401/403.

A token comes as ``Authorization: Bearer <secret>`` (API clients) or through the
``pp_session`` cookie (dashboard, set by ``/login``), which holds a random session id
looked up server-side, never the secret. 401: no token, or not a usable one (unknown,
revoked, expired); 403: a valid token whose scope or programs do not cover the request.
Something the token may not see is answered like something missing (:func:`not_found`).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi import Request, Security
from fastapi.security import APIKeyCookie, HTTPBearer

from api.auth.tokens import UNKNOWN, ApiToken, Scope
from api.errors import ApiError
from infra.metrics import API_AUTH_FAILURES

COOKIE = "pp_session"
LEGACY_COOKIE = "pp_token"
"""The cookie of releases that kept the secret in it: ignored, and cleared at sign-in/out."""
NO_TOKEN = "an API token is required: send 'Authorization: Bearer <token>'"
BEARER = HTTPBearer(
    scheme_name="bearer", bearerFormat="ppt_<id>_<random>", auto_error=False,
    description="An API token (`peerpulse tokens create --scope SCOPE`). The scope an "
    "operation needs is listed with it; an `admin` token carries every scope.",
)  # fmt: skip
SESSION = APIKeyCookie(
    name=COOKIE, scheme_name="session", auto_error=False,
    description="The dashboard's session: a random id set (HttpOnly, SameSite=Strict) by "
    "`/login` and looked up server-side; it stands for the token signed in with, with that "
    "token's scopes. Used only when no `Authorization` header is sent.",
)  # fmt: skip
"""How :func:`identify` reads a request, declared so the OpenAPI lists them (``security``)."""


def identify(request: Request) -> tuple[ApiToken | None, str | None]:
    """The request's usable token, or ``(None, why not)``: header first, then the cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        secret = value.strip() if scheme.lower() == "bearer" else ""
        return request.app.state.tokens.check(secret) if secret else (None, UNKNOWN)
    session = request.cookies.get(COOKIE)
    if session:
        return request.app.state.tokens.sessions.check(session)
    return None, NO_TOKEN


def unauthenticated(message: str) -> ApiError:
    """A 401 answer (and its count)."""
    API_AUTH_FAILURES.labels(status="401").inc()
    return ApiError(401, message, field="authorization",
                    headers={"WWW-Authenticate": 'Bearer realm="peerpulse"'})  # fmt: skip


def forbidden(message: str, field: str | None = None) -> ApiError:
    """A 403 answer (and its count)."""
    API_AUTH_FAILURES.labels(status="403").inc()
    return ApiError(403, message, field=field)


def not_found(what: str, field: str) -> ApiError:
    """The 404 for a missing ``what`` and for one the token may not see: the same answer,
    so a token cannot learn what exists outside its programs."""
    return ApiError(404, f"no such {what}", field=field)


def authenticate(request: Request) -> ApiToken:
    """The request's usable token, or a 401 saying why not."""
    token, why = identify(request)
    if token is None:
        raise unauthenticated(why or UNKNOWN)
    return token


def require(scope: Scope) -> Callable[[Request], ApiToken]:
    """A dependency: the request's token, which must carry ``scope`` (403 if not)."""

    def dependency(
        request: Request,
        _bearer: object = Security(BEARER, scopes=[str(scope)]),
        _session: object = Security(SESSION, scopes=[str(scope)]),
    ) -> ApiToken:
        token = authenticate(request)
        if not token.allows(scope):
            raise forbidden(f"this token lacks the '{scope}' scope", field="authorization")
        return token

    dependency.__name__ = f"require_{scope}"
    return dependency


def check_program(token: ApiToken, program_id: UUID | str | None, field: str = "program") -> None:
    """403 unless the token may see ``program_id`` (a filter the caller chose: no data
    is looked up, so the answer says nothing about what exists)."""
    if not token.sees(program_id):
        raise forbidden(f"this token does not cover program {program_id}", field=field)

"""FastAPI dependencies that turn a request into an :class:`ApiToken` or a 401/403.

A token comes as ``Authorization: Bearer <secret>`` (API clients) or in the
``pp_token`` cookie (dashboard, set by ``/login``). 401: no token or not a valid one;
403: a valid token whose scope or programs do not cover the request.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi import Request

from api.auth.tokens import ApiToken, Scope
from api.errors import ApiError
from infra.metrics import API_AUTH_FAILURES

COOKIE = "pp_token"


def presented_secret(request: Request) -> str | None:
    """The secret the request carries, from the Authorization header or the cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else ""
    return request.cookies.get(COOKIE)


def unauthenticated(message: str) -> ApiError:
    """A 401 answer (and its count)."""
    API_AUTH_FAILURES.labels(status="401").inc()
    return ApiError(401, message, field="authorization",
                    headers={"WWW-Authenticate": 'Bearer realm="peerpulse"'})  # fmt: skip


def forbidden(message: str, field: str | None = None) -> ApiError:
    """A 403 answer (and its count)."""
    API_AUTH_FAILURES.labels(status="403").inc()
    return ApiError(403, message, field=field)


def authenticate(request: Request) -> ApiToken:
    """The request's active token, or a 401."""
    secret = presented_secret(request)
    if secret is None:
        raise unauthenticated("an API token is required: send 'Authorization: Bearer <token>'")
    token = request.app.state.tokens.authenticate(secret) if secret else None
    if token is None:
        raise unauthenticated("the API token is not valid (unknown, malformed or revoked)")
    return token


def require(scope: Scope) -> Callable[[Request], ApiToken]:
    """A dependency: the request's token, which must carry ``scope`` (403 if not)."""

    def dependency(request: Request) -> ApiToken:
        token = authenticate(request)
        if not token.allows(scope):
            raise forbidden(f"this token lacks the '{scope}' scope", field="authorization")
        return token

    dependency.__name__ = f"require_{scope}"
    return dependency


def check_program(token: ApiToken, program_id: UUID | str | None, field: str = "program") -> None:
    """403 unless the token may see ``program_id``."""
    if not token.sees(program_id):
        raise forbidden(f"this token does not cover program {program_id}", field=field)

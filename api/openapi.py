"""The OpenAPI document at ``/openapi.json``: FastAPI's, completed where it cannot see.

FastAPI derives paths, parameters, response models and ``security`` (from the token
dependencies in :mod:`api.auth.deps`). This module adds what the server does beyond that:
the 401 and 403 of every operation that needs a token, the API's own error shape for 422
(not FastAPI's), and the ingest contract's published JSON Schemas
(``docs/contract/ingest/``) as components, which ``POST /v1/attendance``'s body uses.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from api.schemas import ErrorResponse
from infra.contract.inbound.messages import MESSAGES, type_of
from infra.contract.inbound.schemas import schemas

MESSAGE = "AttendanceMessage"
"""The component: any one inbound message, told apart by its ``type``."""
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
AUTH_ERRORS = {
    "401": "No usable token: none sent, or unknown, revoked or expired (the message says "
    "which). Answered with `WWW-Authenticate: Bearer`.",
    "403": "The token lacks the operation's scope, or does not cover a program the request names.",
}
INVALID = "A parameter or body field is invalid; `field` names it."
_FASTAPI_ONLY = ("HTTPValidationError", "ValidationError")
_CHALLENGE = {"description": 'Always `Bearer realm="peerpulse"`.', "schema": {"type": "string"}}


def errors(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status answered with :class:`ErrorResponse`."""
    return {s: {"model": ErrorResponse, "description": text} for s, text in described.items()}


EXAMPLE = {
    "specversion": "1.0", "id": "msg-1006", "source": "lms.northbridge.edu",
    "type": "peerpulse.ingest.session.held.v1", "time": "2025-01-14T18:00:00Z",
    "subject": "circle-7", "datacontenttype": "application/json",
    "data": {"program": "founders-2025", "group": "circle-7", "session": "cal-evt-8812",
             "present": ["stu-1001", "stu-1002", "stu-1003"], "absent": ["stu-1004"],
             "excused": [], "attendance_taken": True},
}  # fmt: skip
"""A held session with its roll call (docs/contract/examples), shown and tried in /docs."""


def message_body(max_batch: int) -> dict[str, Any]:
    """A media type of one inbound message or a JSON array of 1..``max_batch`` of them."""
    ref = {"$ref": f"#/components/schemas/{MESSAGE}"}
    batch = {"type": "array", "minItems": 1, "maxItems": max_batch, "items": ref}
    return {"schema": {"oneOf": [ref, batch]}, "example": EXAMPLE}


def install(app: FastAPI) -> None:
    """Serve FastAPI's document for ``app`` (built and cached by FastAPI) completed by
    :func:`complete`, once per build."""
    build = app.openapi
    completed: list[dict[str, Any] | None] = [None]

    def openapi() -> dict[str, Any]:
        spec = build()
        if spec is not completed[0]:
            complete(spec)
            completed[0] = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def complete(spec: dict[str, Any]) -> None:
    """Add to FastAPI's document, in place, what this module describes."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    for operation in _operations(spec):
        _complete(operation)
    for name in _FASTAPI_ONLY:
        components.pop(name, None)
    components.update(message_components())


def message_components() -> dict[str, Any]:
    """Every published ingest schema, under its message type, and :data:`MESSAGE`.

    Each ``$defs`` entry becomes a component of its own (refs rewritten to match); the
    ``$id`` moves into ``$comment``, since an ``$id`` would re-base the refs inside it.
    """
    texts = schemas()
    out: dict[str, Any] = {}
    mapping = {}
    for model in MESSAGES:
        name = type_of(model)
        schema = json.loads(
            texts[f"{name}.schema.json"].replace('"#/$defs/', '"#/components/schemas/')
        )
        for def_name, definition in schema.pop("$defs", {}).items():
            if out.setdefault(def_name, definition) != definition:
                raise ValueError(f"two ingest schemas define {def_name} differently")
        schema.pop("$schema", None)
        schema["$comment"] = f"Published as {schema.pop('$id')} (docs/contract/ingest/)."
        out[name] = schema
        mapping[name] = f"#/components/schemas/{name}"
    out[MESSAGE] = {
        "description": "One inbound message (CloudEvents 1.0, structured JSON); its `type` "
        "names its schema.",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    return out


def _operations(spec: dict[str, Any]):
    for item in spec.get("paths", {}).values():
        yield from (op for method, op in item.items() if method in _METHODS)


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _complete(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if operation.get("security"):
        for status, text in AUTH_ERRORS.items():
            responses.setdefault(status, _error(text))
        responses["401"].setdefault("headers", {"WWW-Authenticate": _CHALLENGE})
    invalid = responses.get("422")
    if invalid is not None and _is_fastapi_default(invalid):
        responses["422"] = _error(INVALID)


def _is_fastapi_default(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}

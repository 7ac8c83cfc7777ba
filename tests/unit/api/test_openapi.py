"""The OpenAPI document tells the truth: who must authenticate (and how), every status an
operation can answer, and the ingest contract's JSON Schemas as the attendance body.

Claims are checked against the running app where they can be (an anonymous call shows
which operations are protected; a token without the listed scope is refused), not only
against the document itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from api.auth.deps import COOKIE
from api.auth.tokens import Scope
from api.ingest import MAX_BATCH, MEDIA_TYPES
from tests.unit.api import seed
from tests.unit.api.conftest import bearer

CONTRACT = Path(__file__).resolve().parents[3] / "docs" / "contract"
METHODS = {"get", "post", "put", "patch", "delete"}
SPECIFIC = {
    ("post", "/v1/attendance"): {"202", "400", "413", "415", "422", "503"},
    ("post", "/v1/alerts/{alert_id}/ack"): {"400", "409"},
    ("get", "/readyz"): {"503"},
}
"""Statuses an operation answers beyond the common ones (auth, validation, not found)."""


@pytest.fixture
def spec(client) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _call(client, method: str, path: str, headers: dict[str, str] | None = None):
    """The operation called with placeholder path parameters and an empty JSON object."""
    url = re.sub(r"\{[^}]+\}", seed.gid(1), path)
    body = {"content": b"{}", "headers": {"content-type": "application/json", **(headers or {})}}
    return client.request(
        method.upper(), url, **(body if method == "post" else {"headers": headers})
    )


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by its target, recursively."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def test_operations_that_refuse_an_anonymous_caller_are_exactly_those_with_security(client, spec):
    protected, public = [], []
    for path, method, operation in _operations(spec):
        status = _call(client, method, path).status_code
        (protected if status == 401 else public).append(f"{method} {path}")
        if status == 401:
            scopes = operation["security"][0]["bearer"]
            assert operation["security"] == [{"bearer": scopes}, {"session": scopes}], path
            assert len(scopes) == 1 and scopes[0] in set(Scope), path
        else:
            assert "security" not in operation, f"{method} {path} answers {status} anonymously"
    assert len(protected) >= 7
    assert {"get /healthz", "get /readyz", "get /metrics"} <= set(public)


def test_security_schemes_are_the_bearer_token_and_the_dashboard_session_cookie(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie",
                                  "name": COOKIE}  # fmt: skip


def test_the_documented_session_cookie_is_accepted_by_the_json_api(client, tokens):
    assert client.get("/v1/programs").status_code == 401
    client.get(f"/login?token={tokens['coord']}", follow_redirects=False)
    assert client.cookies.get(COOKIE)
    response = client.get("/v1/programs")
    assert response.status_code == 200
    assert [p["program_id"] for p in response.json()["items"]] == [str(seed.PROGRAM_A)]


def test_a_token_without_the_listed_scope_is_refused_with_403(client, container, spec):
    store = container.token_store
    for path, method, operation in _operations(spec):
        if "security" not in operation:
            continue
        needed = operation["security"][0]["bearer"][0]
        others = [s for s in Scope if s not in (Scope.ADMIN, needed)]
        _, secret = store.create(f"not-{needed}", others)
        response = _call(client, method, path, bearer(secret))
        assert response.status_code == 403, f"{method} {path}: {response.text}"
        assert "403" in operation["responses"]


def test_every_operation_documents_the_statuses_it_can_answer(spec):
    for path, method, operation in _operations(spec):
        expected = set(SPECIFIC.get((method, path), set()))
        if "security" in operation:
            expected |= {"401", "403"}
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            expected.add("404")
        documented = set(operation["responses"])
        assert expected <= documented, f"{method} {path} lacks {expected - documented}"
        errors = [s for s in documented if s.startswith(("4", "5"))]
        for status in errors if path.startswith("/v1/") else []:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, status)
    assert "HTTPValidationError" not in json.dumps(spec)


@pytest.mark.parametrize(
    ("path", "content_type", "body", "status", "code"),
    [
        ("/v1/alerts/al-1/ack", "application/json", b"\xb0b", 400, "not_utf8"),
        ("/v1/alerts/al-1/ack", "application/json", b"{not json", 400, "invalid_json"),
        ("/v1/alerts/al-1/ack", "application/json", b'{"comment": 5}', 422, "invalid_field"),
        ("/v1/attendance", "application/json", b"[]", 422, "invalid_field"),
        ("/v1/attendance", "application/json", b"{not json", 400, "invalid_json"),
        ("/v1/attendance", "text/plain", b"{}", 415, "unsupported_media_type"),
    ],
)
def test_answers_to_bad_bodies_are_documented_and_name_the_body(
    client, tokens, spec, path, content_type, body, status, code
):  # fmt: skip
    headers = {**bearer(tokens["admin"]), "content-type": content_type}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] in ("body", "body.comment", "content-type")
    template = path.replace("al-1", "{alert_id}")
    assert str(status) in spec["paths"][template]["post"]["responses"]


def test_attendance_body_is_one_or_a_batch_of_the_published_message_schemas(spec):
    content = spec["paths"]["/v1/attendance"]["post"]["requestBody"]["content"]
    assert set(content) == set(MEDIA_TYPES)
    message = {"$ref": "#/components/schemas/AttendanceMessage"}
    batch = {"type": "array", "items": message, "minItems": 1, "maxItems": MAX_BATCH}
    for media in MEDIA_TYPES:
        assert content[media]["schema"] == {"oneOf": [message, batch]}
        assert content[media]["example"] == json.loads(
            (CONTRACT / "examples" / "peerpulse.ingest.session.held.v1.json").read_text()
        )

    components = spec["components"]["schemas"]
    listed = {ref["$ref"].rsplit("/", 1)[-1] for ref in components["AttendanceMessage"]["oneOf"]}
    published = sorted((CONTRACT / "ingest").glob("*.schema.json"))
    assert listed == {p.name.removesuffix(".schema.json") for p in published}
    for path in published:
        schema = json.loads(path.read_text())
        defs = schema.pop("$defs", {})
        schema.pop("$id"), schema.pop("$schema")
        in_openapi = dict(components[path.name.removesuffix(".schema.json")])
        assert in_openapi.pop("$comment").startswith("Published as https://")
        assert _inline(in_openapi, components) == _inline(schema, defs), path.name


def test_the_body_schema_accepts_every_contract_example_and_refuses_an_empty_batch(spec):
    body = spec["paths"]["/v1/attendance"]["post"]["requestBody"]["content"]["application/json"]
    validator = jsonschema_rs.validator_for({**body["schema"], "components": spec["components"]})
    examples = [json.loads(p.read_text()) for p in sorted((CONTRACT / "examples").glob("*.json"))]
    assert len(examples) >= 10
    for example in examples:
        assert validator.is_valid(example), example["type"]
    assert validator.is_valid(examples[:2])
    assert not validator.is_valid([])
    assert not validator.is_valid({})
    assert not validator.is_valid({**examples[0], "type": "peerpulse.ingest.nothing.v1"})


def test_docs_pages_load_their_assets_from_this_server(client):
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = client.get(page).text
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
        assert urls and all(u.startswith("/") for u in urls), (page, urls)
        assert f"/docs/assets/{asset}" in urls
        script = client.get(f"/docs/assets/{asset}")
        assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200

"""Schemathesis fuzzes every operation of the API's OpenAPI: no input gives a server error,
and every answer matches the documented status codes, content types and schemas.

Driven through hypothesis directly (``as_strategy``): schemathesis' pytest plugin does not
run under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from infra.settings import Settings
from peerpulse.build import build
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


@pytest.fixture
def api(tmp_path):
    """The app over a seeded read model, an admin secret, and its OpenAPI schema."""
    s = Settings(_env_file=None, data_dir=tmp_path / "pp", kafka_bootstrap="127.0.0.1:1")
    seed.seed_readmodel(s)
    seed.seed_alerts(s)
    container = build(s, attendance_publisher=FakePublisher(), app=seed.FakeApp())
    _, secret = container.token_store.create("fuzz", ["admin"])
    app = create_app(container)
    yield schemathesis.openapi.from_asgi("/openapi.json", app), secret
    container.close()


def _fuzz(operation, secret: str, examples: int) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)

    run()


def test_no_input_gives_a_server_error_or_an_undocumented_answer(api):
    schema, secret = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    # /readyz answers 503 by design here (no broker); tests/unit/api/test_ops.py covers it.
    operations = [op for op in operations if op.path != "/readyz"]
    for operation in operations:
        _fuzz(operation, secret, examples=100)

"""Schemathesis fuzzes every operation of the API's OpenAPI with every check it has: no
input gives a server error, every answer matches the documented status codes, content
types, headers and schemas, schema-valid requests are accepted and schema-invalid ones
refused, and authentication is not ignored.

Driven through hypothesis directly (``as_strategy``): schemathesis' pytest plugin does not
run under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from infra.settings import Settings
from peerpulse.build import build
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher

# POST /v1/attendance checks what no JSON Schema can say (a time within a day ahead and ten
# years back, no member twice in a roll call), so a schema-valid message may still be 422;
# its OpenAPI says so. Everywhere else a schema-valid request must be accepted.
CONFIG = """
[[operations]]
include-path = "/v1/attendance"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "422", "503"]

# The onboarding PUTs carry the same contract fields (a name must keep visible text once
# control characters are removed), so they too may answer 422 to a schema-valid body.
[[operations]]
include-path-regex = '^/v1/programs/[{]program[}]'
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "409", "422", "503"]

# A snooze must end in the future, and an intervention needs a coordinator unless the
# token is bound to one (the fuzzer's admin token is not): no JSON Schema can say either.
[[operations]]
include-path-regex = '^/v1/alerts/[{]alert_id[}]/snooze$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-path-regex = '^/v1/groups/[{]group_id[}]/interventions$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "422", "503"]
"""


@pytest.fixture
def api(tmp_path, kafka_bootstrap):
    """The app over a seeded read model and the embedded broker (so ``/readyz`` is ready),
    an admin secret, and its OpenAPI schema."""
    s = Settings(_env_file=None, data_dir=tmp_path / "pp", kafka_bootstrap=kafka_bootstrap)
    seed.seed_readmodel(s)
    seed.seed_alerts(s)
    container = build(s, attendance_publisher=FakePublisher(), app=seed.FakeApp())
    _, secret = container.token_store.create("fuzz", ["admin"])
    app = create_app(container)
    config = SchemathesisConfig.from_str(CONFIG)
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config), secret
    container.close()


def _fuzz(operation, secret: str, mode: GenerationMode, examples: int) -> None:
    @given(case=operation.as_strategy(mode))
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                               checks=CHECKS.get_all())  # fmt: skip

    run()


def _takes_input(operation) -> bool:
    """Whether the operation has anything to send wrong (negative cases exist at all)."""
    return bool(list(operation.iter_parameters())) or bool(operation.body)


def test_every_answer_to_any_input_is_documented_and_conforms(api):
    schema, secret = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        if _takes_input(operation):
            _fuzz(operation, secret, GenerationMode.POSITIVE, examples=100)
            _fuzz(operation, secret, GenerationMode.NEGATIVE, examples=100)
        else:  # only the credentials vary: a few calls say all there is to say
            _fuzz(operation, secret, GenerationMode.POSITIVE, examples=10)

"""The ingest contract's committed artefacts match the models: schemas and examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.contract.inbound.decoder import Command, decode
from infra.contract.inbound.messages import BY_TYPE, MESSAGES, type_of
from infra.contract.inbound.schemas import SCHEMA_DIR, schemas

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "contract" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("peerpulse.ingest.*.json"))
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_committed_schemas_are_current():
    """Run ``python -m infra.contract.inbound.schemas`` when this fails."""
    expected = schemas()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == expected


def test_every_message_type_has_a_documented_example():
    documented = {json.loads(p.read_text())["type"] for p in EXAMPLE_FILES}
    assert documented == set(BY_TYPE)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_is_valid(path):
    result = decode(path.read_bytes(), None, NOW)
    assert isinstance(result, Command), result
    assert path.name.startswith(result.type)


def test_there_is_an_example_of_a_meeting_without_attendance():
    held = [decode(p.read_bytes(), None, NOW) for p in EXAMPLE_FILES if "session.held" in p.name]
    assert {c.data.attendance_taken for c in held} == {True, False}


def test_models_forbid_extra_fields_and_are_strict():
    for model in MESSAGES:
        assert model.model_config["extra"] == "forbid"
        assert model.model_config["strict"] is True
        data_model = model.model_fields["data"].annotation
        assert data_model.model_config["extra"] == "forbid", type_of(model)
        assert data_model.model_config["strict"] is True

"""The committed contract docs (schemas, AsyncAPI, README examples) match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from infra.contract import BY_TYPE, decode, encode
from infra.contract.docs import schema_of, stale_files
from infra.topics import ALL_TOPICS, EVENTS
from tests.unit.contract.events_md import catalogue

ROOT = Path(__file__).parents[3]
CONTRACT = ROOT / "docs/contract"


def test_committed_schemas_asyncapi_and_examples_are_regenerated_from_the_models():
    stale = [str(p.relative_to(ROOT)) for p in stale_files(ROOT)]
    assert stale == [], "run `peerpulse contract schemas` and commit the result"


def test_one_schema_file_per_type_and_nothing_else():
    files = {p.name for p in (CONTRACT / "schemas").glob("*.json")}
    assert files == {f"{t}.json" for t in BY_TYPE}


def test_a_changed_model_makes_its_schema_stale(monkeypatch):
    type_ = "peerpulse.member.joined.v1"
    committed = json.loads((CONTRACT / f"schemas/{type_}.json").read_text())
    assert committed == schema_of(type_)
    committed["$defs"]["MemberJoined"]["properties"].pop("role")
    assert committed != schema_of(type_)


def test_asyncapi_lists_every_topic_and_every_catalogued_event():
    spec = yaml.safe_load((CONTRACT / "asyncapi.yaml").read_text())
    assert spec["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in spec["channels"].values()}
    assert addresses == {t.name for t in ALL_TOPICS}
    events = spec["channels"][EVENTS.name]["messages"]
    assert set(events) == set(catalogue())
    for name in events:
        message = spec["components"]["messages"][name]
        schema = CONTRACT / message["payload"]["$ref"]
        assert json.loads(schema.read_text())["properties"]["type"]["const"] == name
    for op in spec["operations"].values():
        assert op["channel"]["$ref"].removeprefix("#/channels/") in spec["channels"]


def test_every_readme_example_is_a_valid_message_of_its_heading_type():
    text = (CONTRACT / "README.md").read_text()
    blocks = re.findall(r"### `([^`]+)`\n\n```json\n(.*?)\n```", text, re.S)
    assert [t for t, _ in blocks] == list(BY_TYPE)
    for type_, body in blocks:
        event = decode(body)
        assert event.type == type_
        assert json.loads(encode(event)) == json.loads(body)

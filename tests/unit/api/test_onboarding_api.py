"""The onboarding and unmatched endpoints (decision 0021): admin PUTs answer what would
change (``dry_run``) or publish the one ingest message that says it; ingest applying what
was published makes a repeat ``unchanged``; unmatched items are listed, mapped, rejected."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from consumers.ingest.mapper import apply
from domain.application import EngagementApp
from domain.ids import derive_id
from domain.intake import NamedGroup, NamedProgram
from infra.contract.inbound.decoder import Command, decode
from infra.vault import MemoryVault
from peerpulse.build import build
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher, bearer

SOURCE = "lms.example"
PROGRAM = {"name": "Founders", "organisation": "Acme", "cadence": "weekly"}
P = f"/v1/programs/prog?source={SOURCE}"


@pytest.fixture
def world(sqlite_settings):
    """An API over a real (in-memory) store; ``ingest()`` applies what it published."""
    app = EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=MemoryVault())
    publisher = FakePublisher()
    container = build(sqlite_settings, attendance_publisher=publisher, app=app,
                      vault=app.vault)  # fmt: skip
    seed.seed_readmodel(sqlite_settings)
    seed.seed_alerts(sqlite_settings)
    _, admin = container.token_store.create("admin", ["admin"])
    _, reader = container.token_store.create("coord", ["read"])
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        done = [0]

        def ingest() -> list[str]:
            types = []
            for _, value, _ in publisher.sent[done[0] :]:
                command = decode(value, None, _now())
                assert isinstance(command, Command), command
                with app.batch():
                    apply(app, command)
                types.append(command.type.split(".")[-3] + "." + command.type.split(".")[-2])
            done[0] = len(publisher.sent)
            return types

        yield client, bearer(admin), bearer(reader), publisher, ingest, app
    container.close()


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_a_dry_run_publishes_nothing_and_a_put_publishes_the_launch(world):
    client, admin, _, publisher, ingest, _ = world
    dry = client.put(P + "&dry_run=true", json=PROGRAM, headers=admin)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["action"], dry.json()["published"]) == ("create", False)
    assert publisher.sent == []
    put = client.put(P, json=PROGRAM, headers=admin)
    assert put.status_code == 202 and put.json()["message_type"].endswith("program.launched.v1")
    assert ingest() == ["program.launched"]
    again = client.put(P, json=PROGRAM, headers=admin)
    assert (again.status_code, again.json()["action"]) == (200, "unchanged")
    changed = client.put(P, json={**PROGRAM, "cadence": "monthly"}, headers=admin)
    assert changed.status_code == 202
    assert changed.json()["fields"] == {"cadence": {"from": "weekly", "to": "monthly"}}
    assert ingest() == ["program.changed"]


def test_coordinators_groups_and_rosters_are_created_changed_and_left(world):
    client, admin, _, publisher, ingest, app = world
    client.put(P, json=PROGRAM, headers=admin)
    coordinator = {"name": "Cora", "contact": "cora@example.org", "digest": "immediate"}
    put = client.put(f"/v1/programs/prog/coordinators/cora?source={SOURCE}", json=coordinator,
                     headers=admin)  # fmt: skip
    assert put.status_code == 202
    assert "cora@example.org" not in publisher.sent[-1][1].decode()  # sealed by the door
    group = {"name": "Circle", "cadence": "weekly", "coordinator": "cora"}
    assert client.put(f"/v1/programs/prog/groups/g1?source={SOURCE}", json=group,
                      headers=admin).status_code == 202  # fmt: skip
    member = f"/v1/programs/prog/groups/g1/members/ada?source={SOURCE}"
    assert client.put(member, json={"role": "facilitator"}, headers=admin).status_code == 202
    assert ingest() == ["program.launched", "coordinator.assigned", "group.formed",
                        "member.joined"]  # fmt: skip
    role = client.put(member, json={"role": "mentor"}, headers=admin)
    assert role.json()["fields"] == {"role": {"from": "facilitator", "to": "mentor"}}
    left = client.delete(member, headers=admin)
    assert (left.status_code, left.json()["action"]) == (202, "leave")
    assert ingest() == ["member.role_changed", "member.left"]
    gone = client.delete(member, headers=admin)
    assert (gone.status_code, gone.json()["action"]) == (200, "unchanged")
    cora = derive_id("coordinator", SOURCE, "cora")
    assert app.coordinator_contact(derive_id("program", SOURCE, "prog"), cora).name == "Cora"


def test_bad_bodies_name_their_field_and_a_reader_may_not_onboard(world):
    client, admin, reader, publisher, _, _ = world
    bad = client.put(P, json={**PROGRAM, "cadence": "daily"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["field"].endswith("cadence")
    no_source = client.put("/v1/programs/prog", json=PROGRAM, headers=admin)
    assert no_source.status_code == 422 and "source" in no_source.json()["error"]["field"]
    assert client.put(P, json=PROGRAM, headers=reader).status_code == 403
    assert publisher.sent == []


def test_unmatched_attendance_is_listed_mapped_and_rejected_through_the_api(world):
    client, admin, reader, publisher, ingest, app = world
    client.put(P + "", json={**PROGRAM, "auto_create": False}, headers=admin)
    client.put(f"/v1/programs/prog/groups/g1?source={SOURCE}",
               json={"name": "Circle", "cadence": "weekly"}, headers=admin)  # fmt: skip
    client.put(f"/v1/programs/prog/groups/g1/members/ada?source={SOURCE}", json={},
               headers=admin)  # fmt: skip
    ingest()
    held = {"specversion": "1.0", "id": "h1", "source": SOURCE, "time": _now().isoformat(),
            "type": "peerpulse.ingest.session.held.v1",
            "data": {"program": "prog", "group": "g1", "session": "s1",
                     "present": ["ada", "ada.l", "guest"]}}  # fmt: skip
    with app.batch():
        apply(app, decode(json.dumps(held).encode(), None, _now()))
    pid = derive_id("program", SOURCE, "prog")
    listed = client.get(f"/v1/programs/{pid}/unmatched", headers=reader).json()["open"]
    items = {i["marks"][0]["member"]: i["item"] for i in listed}
    assert set(items) == {"ada.l", "guest"}
    ada = str(derive_id("member", SOURCE, "ada"))
    g1 = str(derive_id("group", SOURCE, "g1"))
    wrong = client.post(f"/v1/programs/{pid}/unmatched/{items['ada.l']}/map",
                        json={"to_group": g1}, headers=reader)  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "body.to_member"
    mapped = client.post(f"/v1/programs/{pid}/unmatched/{items['ada.l']}/map",
                         json={"to_member": ada}, headers=reader)  # fmt: skip
    rejected = client.post(f"/v1/programs/{pid}/unmatched/{items['guest']}/reject",
                           json={"reason": "a guest"}, headers=reader)  # fmt: skip
    assert (mapped.status_code, rejected.status_code) == (202, 202)
    assert ingest() == ["unmatched.mapped", "unmatched.rejected"]
    after = client.get(f"/v1/programs/{pid}/unmatched?resolved=true", headers=reader).json()
    assert after["open"] == []
    assert {r["outcome"] for r in after["resolved"]} == {"mapped", "rejected"}
    missing = client.post(f"/v1/programs/{pid}/unmatched/{items['guest']}/reject", json={},
                          headers=reader)  # fmt: skip
    assert missing.status_code == 404


def test_the_dashboard_lists_unmatched_items_and_its_reject_form_publishes(world):
    client, _, reader, publisher, ingest, app = world
    now = _now()
    app.launch_program(seed.PROGRAM_A, "Program A", "Org", "weekly", now)
    program = NamedProgram(seed.PROGRAM_A, "prog-a", SOURCE)
    stray = NamedGroup(derive_id("group", SOURCE, "g-stray"), "g-stray", program)
    app.intake_attendance_marked(stray, derive_id("session", SOURCE, "g-stray/s1"),
                                 derive_id("member", SOURCE, "zed"), "present", now, "zed",
                                 "s1")  # fmt: skip
    client.get(f"/login?token={reader['Authorization'].split()[1]}", follow_redirects=False)
    page = client.get(f"/programs/{seed.PROGRAM_A}/unmatched")
    assert page.status_code == 200, page.text
    assert "g-stray" in page.text and "zed present" in page.text
    [item] = app.unmatched(seed.PROGRAM_A).open
    assert f'action="/programs/{seed.PROGRAM_A}/unmatched/{item}/map"' in page.text
    assert f'<option value="{seed.gid(1)}">' in page.text  # a group of the program to map to
    sent = client.post(f"/programs/{seed.PROGRAM_A}/unmatched/{item}/reject",
                       data={"reason": "not ours"}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    message = json.loads(publisher.sent[-1][1])
    assert message["type"] == "peerpulse.ingest.unmatched.rejected.v1"
    assert (message["data"]["item"], message["data"]["reason"]) == (item, "not ours")
    assert message["data"]["coordinator"] == "token:coord"

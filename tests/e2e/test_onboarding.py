"""Issue 14, item 5: a program onboarded from the example CSV files, end to end.

One running system per store (every service as ``make demo`` runs it, plus ingest).
``peerpulse onboard`` loads ``examples/onboarding/*.csv``; the relay and the projection
worker carry it into the read model (the program with its two coordinators, four groups,
their rosters), as the API shows it. Attendance then arrives through the Kafka door naming
a member and a group the roster does not know: it lands on the program's unmatched list
(``GET /v1/programs/{id}/unmatched``), not in a new group or member; mapping the member
through the API records their attendance on the chosen roster member, and rejecting the
group's roll call drops it with a record (decision 0021).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.ids import derive_id
from peerpulse import cli
from tests.e2e.system import STORES, System, encode, envelope, running_system

pytestmark = [pytest.mark.slow, pytest.mark.kafka]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "onboarding"
SOURCE = "lms.northbridge.example"
PROGRAM_ID = str(derive_id("program", SOURCE, "founders-2026"))


@pytest.fixture(scope="module", params=STORES)
def system(request, tmp_path_factory):
    with running_system(tmp_path_factory.mktemp(f"onboard-{request.param}"),
                        request.param) as running:  # fmt: skip
        yield running


def onboard(system: System, *argv: str) -> int:
    files = sorted(str(p) for p in EXAMPLES.glob("*.csv"))
    args = cli.build_parser().parse_args(["onboard", "--source", SOURCE, *argv, *files])
    return args.handler(args, system.settings)


def held(session: str, group: str, present: list[str], minutes: int) -> tuple[bytes, bytes]:
    at = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    data = {"program": "founders-2026", "group": group, "session": session,
            "present": present}  # fmt: skip
    return b"founders-2026", encode(envelope("session.held", f"{group}-{session}", at, data,
                                             source=SOURCE))  # fmt: skip


def members(api: Any, group: str) -> dict[str, dict[str, Any]]:
    gid = str(derive_id("group", SOURCE, group))
    return {m["member_id"]: m for m in api.get(f"/v1/groups/{gid}/members").json()["items"]}


def test_the_example_files_onboard_a_program_into_the_read_model(system, capsys):
    assert onboard(system, "--dry-run") == 0
    assert "would 21 create" in capsys.readouterr().err
    assert onboard(system) == 0
    assert onboard(system, "--dry-run") == 0
    assert "would 0 create, 0 change, 0 leave, 21 unchanged" in capsys.readouterr().err
    system.wait_until_caught_up()
    with system.api() as api:
        [program] = [p for p in api.get("/v1/programs").json()["items"]
                     if p["program_id"] == PROGRAM_ID]  # fmt: skip
        assert (program["name"], program["cadence"], program["coordinators"]) == (
            "Founders Circles 2026", "fortnightly", 2)  # fmt: skip
        groups = api.get("/v1/groups", params={"program": PROGRAM_ID, "limit": 50}).json()
        assert sorted(g["name"] for g in groups["items"]) == [
            "Circle 1 - climate founders", "Circle 2 - health tech", "Circle 3 - fintech",
            "Circle 4 - education"]  # fmt: skip
        roster = members(api, "circle-1")
        assert sorted(m["role"] for m in roster.values()) == ["facilitator", "mentor", "peer",
                                                                "peer"]  # fmt: skip
        assert sum(len(members(api, g)) for g in ("circle-2", "circle-3", "circle-4")) == 10


def test_attendance_for_an_unknown_member_lands_on_the_unmatched_list_not_in_a_new_group(
    system,
):  # fmt: skip
    system.publish([held("s1", "circle-1", ["stu-1001", "stu-1002", "ada.l"], 1),
                    held("s1", "circle-99", ["stu-1011"], 2)])  # fmt: skip
    system.wait_until_caught_up()
    with system.api() as api:
        roster = members(api, "circle-1")
        assert len(roster) == 4 and str(derive_id("member", SOURCE, "ada.l")) not in roster
        assert roster[str(derive_id("member", SOURCE, "stu-1001"))]["present"] == 1
        groups = api.get("/v1/groups", params={"program": PROGRAM_ID, "limit": 50}).json()
        assert groups["total"] == 4
        listed = api.get(f"/v1/programs/{PROGRAM_ID}/unmatched").json()
        by_group = {i["group"]: i for i in listed["open"]}
        assert set(by_group) == {"circle-1", "circle-99"}
        assert by_group["circle-1"]["reason"] == "unknown-member"
        assert by_group["circle-1"]["marks"][0]["member"] == "ada.l"
        assert by_group["circle-99"]["reason"] == "unknown-group"

        stu_1003 = str(derive_id("member", SOURCE, "stu-1003"))
        mapped = api.post(f"/v1/programs/{PROGRAM_ID}/unmatched/{by_group['circle-1']['item']}"
                          "/map", json={"to_member": stu_1003})  # fmt: skip
        assert mapped.status_code == 202, mapped.text
        rejected = api.post(f"/v1/programs/{PROGRAM_ID}/unmatched/"
                            f"{by_group['circle-99']['item']}/reject",
                            json={"reason": "no such circle"})  # fmt: skip
        assert rejected.status_code == 202, rejected.text
        system.published += 2
        system.wait_until_caught_up()
        after = api.get(f"/v1/programs/{PROGRAM_ID}/unmatched",
                        params={"resolved": "true"}).json()  # fmt: skip
        assert after["open"] == []
        outcomes = {r["group"]: (r["outcome"], r["reason_given"]) for r in after["resolved"]}
        assert outcomes == {"circle-1": ("mapped", None),
                            "circle-99": ("rejected", "no such circle")}  # fmt: skip
        assert members(api, "circle-1")[stu_1003]["present"] == 1
        assert api.get("/v1/groups", params={"program": PROGRAM_ID}).json()["total"] == 4

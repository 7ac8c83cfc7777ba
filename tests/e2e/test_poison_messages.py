"""Poison through the public Kafka door, then a good group: nothing stops, the good group
still reaches the API and its coordinator's inbox.

One running system per store (every service as ``make demo`` runs it, plus ingest). A
sender publishes a group whose name holds NUL, a 1.05 MB record, and a group whose name
holds CR/LF (with a coordinator, so it raises an alert too); then a healthy program whose
member misses three sessions in a row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from consumers.ingest import dlq
from domain.ids import derive_id
from tests.e2e.system import (
    LARGE_SENDER,
    STORES,
    System,
    encode,
    envelope,
    headers_of,
    running_system,
    wait_for_mail,
)

pytestmark = [pytest.mark.slow, pytest.mark.kafka]
SOURCE = "e2e.example.org"
NOW = datetime.now(UTC).replace(microsecond=0)
HUGE_BYTES = 1_050_000


@pytest.fixture(scope="module", params=STORES)
def system(request, tmp_path_factory) -> System:
    with running_system(tmp_path_factory.mktemp(request.param), request.param) as running:
        yield running


def _at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def lapsing_program(program: str, group: str, name: str, contact: str) -> list[dict]:
    """A program, its coordinator, a group of four; ``m4`` misses three sessions in a row."""
    msgs = [
        envelope("program.launched", f"{program}-launch", _at(40),
                 {"program": program, "name": f"Program {program}",
                  "organisation": "E2E Org", "cadence": "weekly"}),
        envelope("coordinator.assigned", f"{program}-coord", _at(40),
                 {"program": program, "coordinator": f"{program}-c", "name": "Dana",
                  "contact": contact, "digest": "immediate"}),
        envelope("group.formed", f"{group}-formed", _at(39),
                 {"program": program, "group": group, "name": name, "cadence": "weekly",
                  "coordinator": f"{program}-c"}),
    ]  # fmt: skip
    members = [f"{group}-m{i}" for i in range(1, 5)]
    for m in members:
        msgs.append(envelope("member.joined", f"{m}-joined", _at(38),
                             {"program": program, "group": group, "member": m,
                              "display_name": f"Member {m}"}))  # fmt: skip
    for week, days_ago in enumerate((28, 21, 14, 7)):
        absent = [members[3]] if week else []
        msgs.append(envelope("session.held", f"{group}-s{week}", _at(days_ago),
                             {"program": program, "group": group, "session": f"{group}-s{week}",
                              "present": [m for m in members if m not in absent],
                              "absent": absent}))  # fmt: skip
    return msgs


def keyed(program: str, messages: list[dict]) -> list[tuple[bytes, bytes]]:
    return [(program.encode(), encode(m)) for m in messages]


def huge_session(program: str, group: str) -> bytes:
    """A valid session.held padded with insignificant whitespace to ~1.05 MB."""
    raw = encode(envelope("session.held", "huge-1", _at(20),
                          {"program": program, "group": group, "session": "huge",
                           "present": [f"{group}-m1"]}))  # fmt: skip
    return b"{" + b" " * (HUGE_BYTES - len(raw)) + raw[1:]


def group_id(group: str) -> str:
    return str(derive_id("group", SOURCE, group))


@pytest.fixture(scope="module")
def published(system: System) -> System:
    nul = [
        envelope("program.launched", "nul-launch", _at(30),
                 {"program": "p-nul", "name": "Nul\u0000Program", "organisation": "O",
                  "cadence": "weekly"}),
        envelope("group.formed", "nul-formed", _at(30),
                 {"program": "p-nul", "group": "g-nul", "name": "Nul\u0000Circle",
                  "cadence": "weekly"}),
    ]  # fmt: skip
    system.publish(keyed("p-nul", nul))
    system.publish([(b"p-good", huge_session("p-good", "g-good"))], **LARGE_SENDER)
    crlf = lapsing_program("p-crlf", "g-crlf", "Evil\r\nBcc: mallory@evil.example\r\n\r\nX",
                           "crlf-coordinator@example.org")  # fmt: skip
    system.publish(keyed("p-crlf", crlf))
    good = lapsing_program("p-good", "g-good", "Good Circle", "good-coordinator@example.org")
    system.publish(keyed("p-good", good))
    system.wait_until_caught_up(timeout=120)
    return system


def test_poison_leaves_every_service_running_and_the_good_group_reaches_the_api(published):
    published.assert_nothing_restarted()
    api = published.api()
    good = api.get(f"/v1/groups/{group_id('g-good')}")
    assert good.status_code == 200, good.text
    assert good.json()["group"]["name"] == "Good Circle"
    assert good.json()["group"]["members"] == 4


def test_the_good_groups_lapse_warning_is_delivered_to_its_coordinator(published):
    mail = wait_for_mail(published, "good-coordinator@example.org")
    assert any("Good Circle" in m["subject"] for m in mail), mail
    published.assert_nothing_restarted()


def test_a_group_named_with_nul_is_in_the_api_with_its_name_normalised(published):
    api = published.api()
    detail = api.get(f"/v1/groups/{group_id('g-nul')}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["group"]["name"] == "NulCircle"
    programs = {p["program_id"]: p for p in api.get("/v1/programs").json()["items"]}
    assert programs[str(derive_id("program", SOURCE, "p-nul"))]["name"] == "NulProgram"


def test_a_record_over_a_mebibyte_is_on_the_dlq_with_a_reason(published):
    letters = [r for r in published.dead_letters()
               if headers_of(r).get(dlq.HEADER_CODE) == "too_large"]  # fmt: skip
    assert len(letters) == 1, [headers_of(r) for r in published.dead_letters()]
    headers = headers_of(letters[0])
    assert headers[dlq.HEADER_ORIGINAL_SIZE] == str(HUGE_BYTES)
    assert "limit" in headers[dlq.HEADER_REASON] and "too large" in headers[dlq.HEADER_REASON]
    assert letters[0].key == b"p-good"


def test_a_group_named_with_cr_lf_gets_a_one_line_subject_and_no_injected_header(published):
    detail = published.api().get(f"/v1/groups/{group_id('g-crlf')}").json()
    assert detail["group"]["name"] == "Evil Bcc: mallory@evil.example X"
    mail = wait_for_mail(published, "crlf-coordinator@example.org")
    for entry in mail:
        raw = (published.settings.data_dir / "mail" / entry["file"]).read_bytes()
        sent = message_from_bytes(raw, policy=policy.default)
        assert len(sent.get_all("Subject")) == 1 and sent.get_all("Bcc") is None, raw[:800]
        assert "\r" not in sent["Subject"] and "\n" not in sent["Subject"]
        assert "Evil Bcc: mallory@evil.example X" in sent["Subject"]
        assert entry["to"] == ["crlf-coordinator@example.org"]

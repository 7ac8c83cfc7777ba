"""Personal data in ingest's own output: redacted in dead letters, sealed values opened once."""

from __future__ import annotations

import json
from types import SimpleNamespace
from uuid import uuid4

import pytest

from consumers.ingest import dlq
from domain.errors import DomainError, MemberForgotten
from infra.contract.inbound.decoder import DOMAIN_ERROR, INVALID_JSON, TOO_LARGE, Rejection
from infra.contract.inbound.redaction import MARKER, PERSONAL_FIELDS
from infra.vault import MemoryVault, open_from_transit, seal_for_transit
from tests.unit.ingest.conftest import mid, msg, send

ROSTER = [
    msg("program.launched", {"program": "prog", "name": "P", "organisation": "O",
                             "cadence": "weekly"}),
    msg("group.formed", {"name": "Circle", "cadence": "weekly"}),
]  # fmt: skip
BROKE = Rejection(DOMAIN_ERROR, "already-exists: registered with other details")
DEE = {"member": "dee", "display_name": "Dee Diaz", "contact": "dee@example.org"}


def record(value: bytes | None, headers=()) -> SimpleNamespace:
    return SimpleNamespace(topic="t", partition=0, offset=7, key=b"k", value=value,
                           headers=list(headers))  # fmt: skip


def test_the_contract_marks_exactly_the_names_and_contacts_personal():
    personal = {t.split(".")[2] + "." + t.split(".")[3]: f for t, f in PERSONAL_FIELDS.items() if f}
    assert personal == {"member.joined": {"display_name", "contact"},
                        "coordinator.assigned": {"name", "contact"}}  # fmt: skip


def test_a_dead_letter_holds_a_marker_instead_of_the_name_and_says_which_fields():
    letter = dlq.dead_letter(record(msg("member.joined", DEE), [(dlq.HEADER_REDACTED, b"old")]),
                             BROKE)  # fmt: skip
    data = json.loads(letter.value)["data"]
    assert (data["display_name"], data["contact"], data["member"]) == (MARKER, MARKER, "dee")
    assert b"Dee Diaz" not in letter.value and b"dee@example.org" not in letter.value
    assert [v for k, v in letter.headers if k == dlq.HEADER_REDACTED] == [
        b"data.display_name,data.contact"
    ]


def test_a_coordinators_name_is_redacted_but_a_programs_name_is_kept():
    data = {"program": "prog", "coordinator": "c", "name": "Dana Lee", "contact": "d@example.org"}
    coordinator = msg("coordinator.assigned", data)
    data = json.loads(dlq.dead_letter(record(coordinator), BROKE).value)["data"]
    assert (data["name"], data["contact"]) == (MARKER, MARKER)
    program = ROSTER[0]
    assert dlq.dead_letter(record(program), BROKE).value == program


def test_an_unknown_type_loses_every_field_any_type_marks_personal():
    body = json.loads(msg("member.joined", DEE))
    body["type"] = "peerpulse.ingest.member.joined.v9"
    letter = dlq.dead_letter(record(json.dumps(body).encode()), BROKE)
    assert b"Dee Diaz" not in letter.value
    assert dict(letter.headers)[dlq.HEADER_REDACTED] == b"data.display_name,data.contact"


def test_without_personal_data_the_copy_is_byte_for_byte_and_unmarked():
    raw = msg("member.joined", {"member": "dee", "display_name": None}).replace(b", ", b",  ")
    letter = dlq.dead_letter(record(raw), BROKE)
    assert letter.value == raw and dlq.HEADER_REDACTED not in dict(letter.headers)


@pytest.mark.parametrize("value", [b"{nope Dee Diaz", b"\xff Dee Diaz", b"[1, 2]", b"", None])
def test_a_value_that_cannot_be_inspected_is_kept_as_it_is(value):
    letter = dlq.dead_letter(record(value), Rejection(INVALID_JSON, "bad"))
    assert letter.value == value and dlq.HEADER_REDACTED not in dict(letter.headers)


def test_a_batch_array_is_redacted_item_by_item():
    raw = b"[" + msg("member.joined", DEE) + b"," + ROSTER[0] + b"]"
    letter = dlq.dead_letter(record(raw), BROKE)
    assert b"Dee Diaz" not in letter.value
    assert dict(letter.headers)[dlq.HEADER_REDACTED] == b"[0].data.display_name,[0].data.contact"


def test_a_copy_cut_to_fit_is_a_prefix_of_the_redacted_value():
    body = json.loads(msg("member.joined", DEE))
    body["data"]["pseudonym"] = "x" * 5000
    letter = dlq.dead_letter(record(json.dumps(body).encode()), Rejection(TOO_LARGE, "big"),
                             max_bytes=2000)  # fmt: skip
    headers = dict(letter.headers)
    assert dlq.HEADER_ORIGINAL_SHA256 in headers and dlq.HEADER_REDACTED in headers
    assert b"Dee Diaz" not in letter.value and len(letter.value) < 2000


def test_a_value_the_http_door_sealed_is_opened_not_sealed_twice_and_resending_is_harmless(app):
    sealed = {**DEE, "display_name": seal_for_transit(app.vault, mid("dee"), "Dee Diaz"),
              "contact": seal_for_transit(app.vault, mid("dee"), "dee@example.org")}  # fmt: skip
    send(app, *ROSTER, msg("member.joined", sealed), msg("member.joined", sealed))
    profile = app.member_profile(mid("dee"))
    assert (profile.display_name, profile.contact) == ("Dee Diaz", "dee@example.org")
    send(app, msg("member.joined", DEE))  # the same person in clear: the same details


def test_a_sealed_value_that_does_not_open_with_the_members_key_is_refused(app):
    other = seal_for_transit(app.vault, uuid4(), "Dee Diaz")
    with pytest.raises(DomainError, match="does not open"):
        send(app, *ROSTER, msg("member.joined", {**DEE, "display_name": other}))
    forged = "pp-sealed:v1.AAAA"
    assert open_from_transit(app.vault, mid("dee"), forged) is None


def test_a_destroyed_key_is_never_replaced():
    vault, person = MemoryVault(), uuid4()
    token = vault.seal(person, "Dee Diaz")
    vault.destroy(person)
    assert vault.unseal(person, token) is None
    with pytest.raises(MemberForgotten):
        vault.seal(person, "Dee Diaz")


def test_a_lone_surrogate_beside_a_personal_field_is_escaped_not_a_crash() -> None:
    """json accepts ``\\ud800`` that the contract refused; re-encoding it must not raise
    (it stopped ingest at every restart)."""
    from infra.contract.inbound.redaction import MARKER, redact

    raw = (
        b'{"type":"peerpulse.ingest.member.joined.v1",'
        b'"data":{"display_name":"Ada","pseudonym":"\\ud800"}}'
    )
    value, removed = redact(raw)
    assert removed == ["data.display_name"]
    assert MARKER.encode() in value and b"Ada" not in value
    assert b"\\ud800" in value

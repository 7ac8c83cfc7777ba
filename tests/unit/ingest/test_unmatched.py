"""Decision 0021: attendance naming what a launched program's roster does not know is held
on the program's unmatched list, not provisioned; roster messages release it, a coordinator
maps or rejects it, and ``auto_create`` keeps decision 0015's provisioning."""

from __future__ import annotations

import pytest

from domain.errors import NotAMember, UnknownGroup, UnknownUnmatched
from domain.ids import derive_id
from domain.unmatched import UNKNOWN_GROUP, UNKNOWN_MEMBER, unmatched_id
from tests.unit.ingest.conftest import SOURCE, msg, send

PROGRAM = derive_id("program", SOURCE, "prog")
GROUP = derive_id("group", SOURCE, "g1")


def member(ext: str):
    return derive_id("member", SOURCE, ext)


def launched(auto_create: bool = False) -> list[bytes]:
    """A program launched for real, with one group of two members (ada, bob)."""
    return [
        msg("program.launched", {"program": "prog", "name": "P", "organisation": "O",
                                 "cadence": "weekly", "auto_create": auto_create}),
        msg("group.formed", {"name": "Circle", "cadence": "weekly"}, at=0.01),
        msg("member.joined", {"member": "ada"}, at=0.02),
        msg("member.joined", {"member": "bob"}, at=0.03),
    ]  # fmt: skip


def roll_call(present: list[str], group: str = "g1", session: str = "s1", at: float = 3):
    raw = msg("session.held", {"session": session, "present": present}, at=at)
    return raw.replace(b'"group": "g1"', f'"group": "{group}"'.encode())


def open_items(app) -> list[dict]:
    inbox = app.unmatched(PROGRAM)
    return [] if inbox is None else sorted(inbox.open.values(), key=lambda i: i["group"])


def test_an_unknown_member_is_held_unmatched_and_the_rest_of_the_roll_call_recorded(app):
    send(app, *launched(), roll_call(["ada", "stranger"]))
    group = app.get_group(GROUP)
    assert sorted(group.members) == sorted(str(member(m)) for m in ("ada", "bob"))
    assert not group.ever_joined(member("stranger"))
    [held] = open_items(app)
    assert (held["reason"], held["group"], held["session"]) == (UNKNOWN_MEMBER, "g1", "s1")
    assert held["marks"] == [[str(member("stranger")), "stranger", "present"]]
    session = group.sessions[str(derive_id("session", SOURCE, "g1/s1"))]
    assert session["status"] == "held"


def test_attendance_for_an_unknown_group_is_held_and_no_group_is_created(app):
    send(app, *launched(), roll_call(["ada"], group="g9"))
    with pytest.raises(UnknownGroup):
        app.get_group(derive_id("group", SOURCE, "g9"))
    [held] = open_items(app)
    assert (held["reason"], held["group"], held["roll_call"]) == (UNKNOWN_GROUP, "g9", True)


def test_a_one_by_one_mark_for_an_unknown_member_is_held_too(app):
    mark = msg("attendance.marked", {"session": "s1", "member": "zed", "status": "absent"}, 3)
    send(app, *launched(), mark)
    assert [i["marks"] for i in open_items(app)] == [[[str(member("zed")), "zed", "absent"]]]
    assert not app.get_group(GROUP).ever_joined(member("zed"))


def test_the_roster_naming_the_member_later_releases_the_held_mark(app):
    send(app, *launched(), roll_call(["ada", "cy"]))
    send(app, msg("member.joined", {"member": "cy"}, at=4))
    assert open_items(app) == []
    closed = app.unmatched(PROGRAM).closed
    assert [c["outcome"] for c in closed.values()] == ["released"]
    assert app.get_group(GROUP).ever_joined(member("cy"))


def test_mapping_a_member_records_the_mark_and_matches_the_id_from_then_on(app):
    send(app, *launched(), roll_call(["ada", "ada.l"]))
    [held] = open_items(app)
    app.map_unmatched(PROGRAM, held["item"], "cora", held_at(3.5), member_id=member("bob"))
    group = app.get_group(GROUP)
    assert not group.ever_joined(member("ada.l"))
    assert open_items(app) == []
    send(app, roll_call(["ada.l"], session="s2", at=10))  # the alias applies at once
    assert open_items(app) == []
    assert app.unmatched(PROGRAM).member_aliases == {str(member("ada.l")): str(member("bob"))}
    marks = {s: v for s, v in app.get_group(GROUP).sessions.items()}
    assert len(marks) == 2


def test_mapping_a_group_applies_its_roll_call_there(app):
    send(app, *launched(), roll_call(["ada", "bob"], group="circle-one"))
    [held] = open_items(app)
    app.map_unmatched(PROGRAM, held["item"], "cora", held_at(4), group_id=GROUP)
    assert open_items(app) == []
    session = derive_id("session", SOURCE, "circle-one/s1")
    assert app.get_group(GROUP).session_status(session) == "held"


def test_mapping_to_someone_off_the_roster_or_an_item_not_open_is_refused(app):
    send(app, *launched(), roll_call(["zed"]))
    [held] = open_items(app)
    with pytest.raises(NotAMember):
        app.map_unmatched(PROGRAM, held["item"], "cora", held_at(4), member_id=member("zed"))
    with pytest.raises(UnknownUnmatched):
        app.reject_unmatched(PROGRAM, "0" * 36, "cora", "", held_at(4))


def test_rejecting_drops_the_item_with_a_record_and_it_stays_rejected(app):
    send(app, *launched(), roll_call(["visitor"]))
    [held] = open_items(app)
    app.reject_unmatched(PROGRAM, held["item"], "cora", "a visitor", held_at(4))
    send(app, roll_call(["visitor"]))  # the same roll call again
    assert open_items(app) == []
    record = app.unmatched(PROGRAM).closed[held["item"]]
    assert (record["outcome"], record["by"], record["reason"]) == ("rejected", "cora", "a visitor")
    assert not app.get_group(GROUP).ever_joined(member("visitor"))


def test_auto_create_keeps_provisioning_what_attendance_names(app):
    send(app, *launched(auto_create=True), roll_call(["ada", "cy"]), roll_call(["dee"], "g9"))
    assert app.get_group(GROUP).ever_joined(member("cy"))
    assert app.get_group(derive_id("group", SOURCE, "g9")).ever_joined(member("dee"))
    assert app.unmatched(PROGRAM) is None


def test_a_program_never_launched_is_provisioned_as_decision_0015_has_it(app):
    send(app, roll_call(["ada"]))
    assert app.get_group(GROUP).ever_joined(member("ada"))
    assert app.get_program(PROGRAM).provisional


def test_turning_auto_create_on_releases_what_was_held(app):
    send(app, *launched(), roll_call(["cy"], group="g9"))
    assert len(open_items(app)) == 1
    changed = msg("program.changed", {"program": "prog", "name": "P", "organisation": "O",
                                      "cadence": "weekly", "auto_create": True}, at=5)  # fmt: skip
    send(app, changed)
    assert open_items(app) == []
    assert app.get_group(derive_id("group", SOURCE, "g9")).ever_joined(member("cy"))


def test_the_unmatched_list_is_its_own_aggregate_per_program(app):
    send(app, *launched(), roll_call(["zed"]))
    assert app.unmatched(PROGRAM).id == unmatched_id(PROGRAM)


def held_at(days: float):
    from datetime import timedelta

    from tests.unit.ingest.conftest import T0

    return T0 + timedelta(days=days)

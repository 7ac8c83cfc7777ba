"""The fold takes a roll call recorded after a member it marks had left (decision 0015).

When a session's roll call reaches ingest after a ``member.left`` recorded later, the domain
still records it (the member was on the roster then), so the public ``session.held`` comes
after ``member.left`` in the group's stream. The fold must count it as the event-time order
does: the member's attendance counts, and they stay left.
"""

from __future__ import annotations

from datetime import timedelta

from projections.fold.apply import GroupState, apply
from projections.fold.envelope import decode
from tests.unit.projections.builder import T0, cloudevent, uid

GROUP, ADA, CY = uid("group:late"), uid("member:ada"), uid("member:cy")
S1, S2 = uid("session:s1"), uid("session:s2")


def fold(kinds: list[tuple[str, float, dict]]) -> GroupState:
    """The group state after ``(kind, days after T0, data)`` events, in the order given."""
    state = GroupState(GROUP)
    for version, (kind, days, data) in enumerate(kinds, start=1):
        event = cloudevent(kind, GROUP, version, T0 + timedelta(days=days), **data)
        apply(state, decode(event))
    return state


ROSTER = [
    ("group.formed", 0, {"program_id": uid("program:p"), "name": "g", "cadence": "weekly"}),
    ("member.joined", 0, {"member_id": ADA, "role": "peer"}),
    ("member.joined", 0, {"member_id": CY, "role": "peer"}),
    ("session.held", 7, {"session_id": S1, "present": [ADA, CY], "absent": [], "excused": []}),
]
HELD = ("session.held", 14, {"session_id": S2, "present": [ADA], "absent": [CY], "excused": []})
LEFT = ("member.left", 15, {"member_id": CY})
MARKED = ("attendance.marked", 16, {"session_id": S2, "member_id": CY, "status": "excused"})


def test_a_roll_call_after_the_leave_counts_as_in_event_time_order() -> None:
    canonical, late = fold([*ROSTER, HELD, LEFT]), fold([*ROSTER, LEFT, HELD])
    cy = late.members[CY]
    assert (cy.active, cy.present, cy.absent, cy.last_seen) == (False, 1, 1, T0 + timedelta(7))
    assert late.members == canonical.members
    assert late.recent[-1].absent == (CY,) and late.held_count == canonical.held_count == 2
    assert late.active_members().keys() == {ADA}


def test_a_late_mark_after_the_leave_corrects_the_count_as_in_event_time_order() -> None:
    canonical, late = fold([*ROSTER, HELD, LEFT, MARKED]), fold([*ROSTER, LEFT, HELD, MARKED])
    assert late.members[CY] == canonical.members[CY]
    assert (late.members[CY].absent, late.members[CY].excused) == (0, 1)

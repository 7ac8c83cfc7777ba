"""A commitment made (or made and settled) before its session's roll call arrived counts in
that session's commitment window, as in event-time order (decision 0015; issue 13).

Independent senders: the commitment system may publish ``commitment.made`` — and even
``commitment.kept`` — before the calendar's ``session.held`` reaches ingest, and a
settlement may come before the commitment itself (recorded bare, amended later). The
windows the risk model reads ("no commitments made in the last session") must not depend
on which came first.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import permutations

from projections.fold.apply import GroupState, apply
from projections.fold.envelope import decode
from tests.unit.projections.builder import T0, cloudevent, uid

GROUP, ADA = uid("group:commit-order"), uid("member:ada")
S1, S2, C1 = uid("session:s1"), uid("session:s2"), uid("commitment:c1")
START = [
    ("group.formed", 0, {"program_id": uid("program:p"), "name": "g", "cadence": "weekly"}),
    ("member.joined", 0, {"member_id": ADA, "role": "peer"}),
    ("session.held", 7, {"session_id": S1, "present": [ADA], "absent": [], "excused": []}),
]
HELD = ("session.held", 14, {"session_id": S2, "present": [ADA], "absent": [], "excused": []})
BARE = ("commitment.made", 14.1, {"commitment_id": C1, "member_id": ADA, "session_id": None,
                                  "due": None})  # fmt: skip
AMENDED = ("commitment.amended", 14.2, {"commitment_id": C1, "member_id": ADA,
                                        "session_id": S2, "due": None})  # fmt: skip
MADE = ("commitment.made", 14.1, {"commitment_id": C1, "member_id": ADA, "session_id": S2,
                                  "due": None})  # fmt: skip
KEPT = ("commitment.kept", 20, {"commitment_id": C1, "member_id": ADA})


def windows(events) -> dict[int, tuple[int, int]]:
    state = GroupState(GROUP)
    for version, (kind, days, data) in enumerate([*START, *events], start=1):
        apply(state, decode(cloudevent(kind, GROUP, version, T0 + timedelta(days=days), **data)))
    return {n: (w.made, w.kept) for n, w in state.windows.items() if w.made or w.kept}


def test_a_commitment_for_a_session_counts_in_its_window_whatever_arrived_first():
    canonical = windows([HELD, MADE, KEPT])
    assert canonical == {2: (1, 1)}
    for order in permutations([HELD, MADE, KEPT]):
        if order.index(MADE) < order.index(KEPT):  # the domain never settles before making
            assert windows(list(order)) == canonical, order


def test_a_commitment_settled_before_it_was_made_moves_to_its_session_once_amended():
    canonical = windows([HELD, MADE, KEPT])
    for order in ([BARE, KEPT, AMENDED, HELD], [BARE, KEPT, HELD, AMENDED],
                  [HELD, BARE, KEPT, AMENDED], [BARE, HELD, AMENDED, KEPT]):  # fmt: skip
        assert windows(order) == canonical, order

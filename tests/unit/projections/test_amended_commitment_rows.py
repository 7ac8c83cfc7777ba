"""A commitment's late details (``commitment.amended``) in the projection and the timeline."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta

from projections.engine import Projector
from projections.outputs.rows import RowChange
from projections.readmodel import tables as T
from tests.unit.projections.builder import T0, GroupScript, envelopes, uid


def _fold(changes: list[RowChange]) -> dict[tuple, dict]:
    """Read-model upserts folded per row, as the writer folds them."""
    rows: dict[tuple, dict] = {}
    for change in changes:
        if change.op == "upsert":
            rows.setdefault((change.table, *change.key), {}).update(change.values)
    return rows


def _timeline_rows(events: list[dict]) -> dict[str, dict]:
    """The group_timeline rows after the events, by item id."""
    rows = _fold(Projector().run(envelopes(events)).rows)
    return {key[2]: row for key, row in rows.items() if key[0] == T.GROUP_TIMELINE.name}


def _made_after_two_sessions_then_amended_to_the_first(
    name: str, member: int, amended_on_day: int, due: datetime | None
) -> tuple[GroupScript, str, str]:
    """Two weekly sessions, a commitment recorded on day 8 without its session, then amended
    to the first session; returns the script, the commitment id and the member id."""
    g = GroupScript(members=3)
    first = g.session(T0)
    g.session(T0 + timedelta(days=7))
    cid, who = uid(name), g.members[member]
    g.emit("commitment.made", T0 + timedelta(days=8), commitment_id=cid, member_id=who,
           session_id=None, due=None)  # fmt: skip
    g.emit("commitment.amended", T0 + timedelta(days=amended_on_day), commitment_id=cid,
           member_id=who, session_id=first, due=due)  # fmt: skip
    return g, cid, who


def test_an_open_commitment_amended_with_its_session_counts_in_that_sessions_window():
    g, cid, ada = _made_after_two_sessions_then_amended_to_the_first(
        "c:late", 0, 9, T0 + timedelta(days=14)
    )
    g.emit("commitment.kept", T0 + timedelta(days=10), commitment_id=cid, member_id=ada)
    projector = Projector()
    projector.run(envelopes(g.events))
    s = projector.groups[g.group_id]
    assert (s.windows[1].made, s.windows[1].kept, s.windows[2].made) == (1, 1, 0)
    assert s.commitments_made == 1 and s.members[ada].made == 1
    assert cid not in s.open_commitments


def test_a_settled_commitment_amended_keeps_its_status_and_shows_the_new_due_date():
    g = GroupScript(members=3)
    sid = g.session(T0)
    cid, ada, due = uid("c:settled-first"), g.members[0], T0 + timedelta(days=7)
    g.emit("commitment.made", T0 + timedelta(days=1), commitment_id=cid, member_id=ada,
           session_id=None, due=None)  # fmt: skip
    g.emit("commitment.kept", T0 + timedelta(days=1), commitment_id=cid, member_id=ada)
    g.emit("commitment.amended", T0 + timedelta(days=2), commitment_id=cid, member_id=ada,
           session_id=sid, due=due)  # fmt: skip
    row = _timeline_rows(g.events)[cid]
    assert (row["status"], row["at"]) == ("kept", (T0 + timedelta(days=1)).isoformat())
    assert json.loads(row["detail"]) == {"session_id": sid, "due": due.isoformat()}
    assert row["version"] == g.version


def test_a_redelivered_amendment_moves_the_commitment_once():
    g, cid, bob = _made_after_two_sessions_then_amended_to_the_first("c:redelivered", 1, 8, None)
    events = envelopes(g.events)
    whole = Projector()
    whole.run(events)
    redelivered = Projector()
    redelivered.run(events)
    redelivered.run(events[-2:])
    state = redelivered.groups[g.group_id]
    assert state == whole.groups[g.group_id]
    assert (state.windows[1].made, state.windows[2].made) == (1, 0)
    assert state.open_commitments[cid] == (bob, 1)


def test_a_restart_anywhere_in_an_amended_history_gives_the_single_pass_state_and_rows():
    g = GroupScript(members=3)
    first = g.session(T0)
    g.session(T0 + timedelta(days=7))
    ada, bob = g.members[:2]
    for cid, member in (("c:a", ada), ("c:b", bob)):
        g.emit("commitment.made", T0 + timedelta(days=8), commitment_id=uid(cid),
               member_id=member, session_id=None, due=None)  # fmt: skip
    g.emit("commitment.missed", T0 + timedelta(days=9), commitment_id=uid("c:a"), member_id=ada)
    for cid, member in (("c:a", ada), ("c:b", bob)):
        g.emit("commitment.amended", T0 + timedelta(days=10), commitment_id=uid(cid),
               member_id=member, session_id=first, due=T0 + timedelta(days=14))  # fmt: skip
    events = envelopes(g.events)
    whole = Projector()
    expected = _fold(whole.run(events).rows)
    for k in range(len(events) - 5, len(events)):
        before = Projector()
        rows = before.run(events[:k]).rows
        after = Projector()
        after.adopt(pickle.loads(pickle.dumps(before.groups[g.group_id])))
        rows += after.run(events).rows  # redelivered from the start: the old ones are ignored
        assert after.groups[g.group_id] == whole.groups[g.group_id], k
        assert _fold(rows) == expected, k

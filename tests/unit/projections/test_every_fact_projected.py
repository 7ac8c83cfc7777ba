"""Every fact in the public catalogue is projected or declared irrelevant with a reason, and
the real details of a group whose roster arrived before its ``group.formed`` reach the
projection: it is judged on its own cadence, under its real name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from benchmarks._detection_replay import Pipeline
from domain.ids import derive_id
from infra.contract.registry import BY_TYPE
from projections.engine import Outputs, Projector
from projections.fold.envelope import TICK
from projections.fold.handlers import HANDLERS, NOT_PROJECTED, PROGRAM_HANDLERS
from projections.readmodel.tables import GROUP_HEALTH, LEVEL_HISTORY

SOURCE = "roster.example.edu"
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
MEMBERS = ("stu-1", "stu-2", "stu-3", "stu-4")


def test_each_catalogued_type_is_projected_or_declared_irrelevant_once() -> None:
    homes = {"group": set(HANDLERS), "program": set(PROGRAM_HANDLERS),
             "not projected": set(NOT_PROJECTED), "clock": {TICK}}  # fmt: skip
    for kind in BY_TYPE:
        found = [home for home, types in homes.items() if kind in types]
        assert len(found) == 1, f"{kind}: projected by {found or 'nothing'}"
    for types in homes.values():
        assert types <= set(BY_TYPE), f"not in the public catalogue: {types - set(BY_TYPE)}"
    assert all(len(reason) > 20 for reason in NOT_PROJECTED.values())


def _message(n: int, kind: str, at: datetime, **data: object) -> dict:
    return {"specversion": "1.0", "source": SOURCE, "id": f"msg-{n}",
            "type": f"peerpulse.ingest.{kind}.v1", "time": at.isoformat(),
            "subject": "circle-f", "datacontenttype": "application/json",
            "data": {"program": "prog-1", "group": "circle-f", **data}}  # fmt: skip


def _roster_first_fortnightly(weeks: int = 16) -> SimpleNamespace:
    """A fortnightly group whose roster and calendar published before its own
    ``group.formed``: three peers join, a first session's roll call names a fourth member
    the roster had not sent yet (joined provisionally as a peer), the roster then names
    them facilitator, and only then is the group formed; it meets every 14 days."""
    msgs = [_message(i, "member.joined", START, member=m, role="peer")
            for i, m in enumerate(MEMBERS[1:])]  # fmt: skip
    held = {"present": list(MEMBERS), "absent": [], "excused": []}
    msgs.append(_message(10, "session.held", START + timedelta(hours=1), session="s-0", **held))
    msgs.append(_message(11, "member.joined", START + timedelta(hours=2), member=MEMBERS[0],
                         role="facilitator"))  # fmt: skip
    msgs.append(_message(12, "group.formed", START + timedelta(hours=3), name="Fortnight Founders",
                         cadence="fortnightly", goal="ship", coordinator="staff-9"))  # fmt: skip
    at = START + timedelta(days=14)
    for i in range(1, weeks // 2):
        msgs.append(_message(100 + i, "session.held", at, session=f"s-{i}", **held))
        at += timedelta(days=14)
    return SimpleNamespace(messages=msgs, end=at - timedelta(days=14))


def test_a_fortnightly_group_whose_roster_came_first_is_judged_fortnightly() -> None:
    sim = _roster_first_fortnightly()
    group_id = str(derive_id("group", SOURCE, "circle-f"))
    projector, out = Projector(), Outputs()
    for ev in Pipeline().events(sim, sim.end + timedelta(days=6)):
        projector.process(ev, out)
    s = projector.groups[group_id]
    assert (s.name, s.cadence) == ("Fortnight Founders", "fortnightly")
    assert s.members[_member_id(MEMBERS[0])].role == "facilitator"
    assert s.facilitator_id == _member_id(MEMBERS[0])
    row = [r for r in out.rows if r.table == GROUP_HEALTH.name and r.key == (group_id,)][-1]
    assert (row.values["name"], row.values["cadence"]) == ("Fortnight Founders", "fortnightly")
    levels = [r.values["level"] for r in out.rows
              if r.table == LEVEL_HISTORY.name and r.key[0] == group_id]  # fmt: skip
    assert set(levels) <= {"healthy"}, levels
    assert all("weekly" not in str(r) for r in s.assessment.reasons)


def _member_id(external: str) -> str:
    return str(derive_id("member", SOURCE, external))

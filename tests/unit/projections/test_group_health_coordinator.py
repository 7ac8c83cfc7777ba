"""The group-health row names the group's own coordinator (issue 14: a coordinator's
caseload and coordinator-bound tokens filter on it), as formed and as amended."""

from __future__ import annotations

from datetime import timedelta

from projections.engine import Outputs, Projector
from tests.unit.projections.builder import T0, GroupScript, envelopes, uid


def _health(events: list[dict]) -> dict:
    out = Projector().run(envelopes(events), Outputs())
    return [r.values for r in out.rows if r.table == "group_health"][-1]


def test_the_health_row_carries_the_coordinator_the_group_was_formed_with():
    g = GroupScript("ours")
    g.events[0]["data"]["coordinator_id"] = uid("coordinator:ana")
    g.session(T0 + timedelta(days=7))
    assert _health(g.events)["coordinator_id"] == uid("coordinator:ana")


def test_amended_details_move_the_group_to_its_new_coordinator():
    g = GroupScript("moved")
    g.session(T0 + timedelta(days=7))
    assert _health(g.events)["coordinator_id"] is None
    g.emit("group.details-amended", T0 + timedelta(days=8), name="moved", cadence="weekly",
           goal="grow", coordinator_id=uid("coordinator:ben"))  # fmt: skip
    g.session(T0 + timedelta(days=14))
    assert _health(g.events)["coordinator_id"] == uid("coordinator:ben")

"""The demo's continuation: the cut, the coordinators' outreach, and the world after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.simulator import simulate
from infra.simulator.continuation import (
    ACTS_WITHIN,
    MEETS_AFTER,
    MEETS_OTHERS,
    MEETS_REACHED,
    continuation,
    outreach,
    split,
)
from infra.simulator.contract import validate

END = datetime(2026, 6, 1, 12, tzinfo=UTC)
CUT = END - timedelta(weeks=3)


@pytest.fixture(scope="module")
def sim():
    return simulate(7, END, groups=30, weeks=12, source="demo")


def _time(message) -> datetime:
    return datetime.fromisoformat(message["time"])


def test_split_cuts_by_event_time_and_keeps_every_message(sim) -> None:
    history, future = split(sim, CUT)
    assert history and future
    assert len(history) + len(future) == len(sim.messages)
    assert max(map(_time, history)) <= CUT < min(map(_time, future))
    assert history == [m for m in sim.messages if _time(m) <= CUT]  # arrival order kept


def test_outreach_is_a_seeded_share_by_each_groups_own_coordinator(sim) -> None:
    flagged = [t.group for t in sim.truth[:7]]
    acts = outreach(sim, flagged, CUT, seed=7)
    assert len(acts) == 5  # two in three, rounded up
    assert acts == outreach(sim, reversed(flagged), CUT, seed=7)
    assert [a.group for a in acts] != [a.group for a in outreach(sim, flagged, CUT, seed=8)]
    coordinator = {t.group: t.coordinator for t in sim.truth}
    for act in acts:
        assert act.group in flagged and act.coordinator == coordinator[act.group]
        assert CUT + ACTS_WITHIN[0] <= act.at <= CUT + ACTS_WITHIN[1]
        assert act.kind in ("call", "message", "meeting") and act.note
    assert outreach(sim, [], CUT, seed=7) == []
    assert len(outreach(sim, flagged[:1], CUT, seed=7)) == 1


def test_continuation_holds_sessions_of_current_members_after_the_outreach(sim) -> None:
    flagged = sorted({t.group for t in sim.truth if t.cadence == "weekly"})
    acts = outreach(sim, flagged, CUT, seed=7)
    after = continuation(sim, flagged, acts, CUT, END, seed=7)
    assert after == continuation(sim, flagged, acts, CUT, END, seed=7)
    assert [_time(m) for m in after] == sorted(_time(m) for m in after)
    reached = {a.group: a.at for a in acts}
    history, _ = split(sim, CUT)
    for m in after:
        validate(m)  # the public ingest contract
        assert m["type"] == "peerpulse.ingest.session.held.v1"
        group = m["subject"]
        assert group in flagged and CUT < _time(m) <= END
        assert _time(m) >= reached.get(group, CUT) + MEETS_AFTER
        joined = {h["data"]["member"] for h in history
                  if h.get("subject") == group and "member" in h["data"]}  # fmt: skip
        assert m["data"]["present"] and set(m["data"]["present"]) <= joined
    assert {m["id"] for m in after}.isdisjoint(m["id"] for m in sim.messages)


def test_reached_groups_meet_more_often_than_the_others() -> None:
    sim = simulate(11, END, groups=120, weeks=12, source="demo")
    flagged = [t.group for t in sim.truth if t.cadence == "weekly"]
    acts = outreach(sim, flagged, CUT, seed=11)
    after = continuation(sim, flagged, acts, CUT, END, seed=11)
    reached = {a.group for a in acts}
    others = set(flagged) - reached
    held = [m["subject"] for m in after]
    rate_reached = sum(g in reached for g in held) / len(reached)
    rate_others = sum(g in others for g in held) / len(others)
    # about three weekly chances each after the cut: 0.6 and 0.25 per chance
    assert MEETS_REACHED > MEETS_OTHERS
    assert rate_reached > 1.5 * rate_others, (rate_reached, rate_others)

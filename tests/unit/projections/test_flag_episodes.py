"""Flag episodes (decision 0019): each entry into at_risk ends recovered, went dormant or
ended — with or without an intervention — or is still at risk; the per-program counts
follow, and a restored (or differently chunked) projector writes the same rows."""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.engine import Outputs, Projector
from projections.fold.state import Episode, GroupState
from projections.outputs import episodes
from projections.readmodel import tables as T
from projections.readmodel.batch import Batch
from projections.risk.assess import timeless_reasons
from projections.risk.thresholds import RiskPolicy
from tests.unit.projections.builder import (
    T0,
    Clock,
    GroupScript,
    envelopes,
    merge,
    ticks,
    uid,
    weekly,
)
from tests.unit.projections.test_scenarios import flagging

BACK = T0 + timedelta(days=35 + 20)
STOP_FLAGGED_BY = T0 + timedelta(days=49 + 19)


def comes_back(name: str, call: bool) -> tuple[GroupScript, RiskPolicy]:
    """Six weekly sessions, a silence long enough to be flagged, then back in full (with a
    coordinator's call shortly before, if ``call``)."""
    g = GroupScript(name)
    for at in weekly(T0, 6):
        g.session(at, commitments=3, kept=2)
    policy = flagging(g, BACK - timedelta(days=1))
    if call:
        g.intervene(BACK - timedelta(hours=6), "call")
    g.session(BACK, commitments=3)
    g.session(BACK + timedelta(days=7), commitments=3, kept=3)
    return g, policy


def stops(name: str = "stop") -> tuple[GroupScript, RiskPolicy]:
    """Eight weekly sessions, then nothing: at_risk, later dormant."""
    g = GroupScript(name)
    for at in weekly(T0, 8):
        g.session(at, commitments=3, kept=2)
    return g, flagging(g, STOP_FLAGGED_BY)


def run(g: GroupScript, policy: RiskPolicy, until: datetime) -> Outputs:
    return Projector(policy).run(envelopes(merge(g.events, ticks(Clock(), T0, until))))


def table(out: Outputs, t: T.Table) -> dict:
    """The rows of ``t`` after writing every row change of ``out`` (upserts merged, counters
    added), as the read model holds them."""
    batch = Batch()
    batch.add(r for r in out.rows if r.table == t.name)
    rows = batch.incrs if t is T.PROGRAM_EPISODES else batch.upserts
    return {key: values for (_, key), values in rows.items()}


def only_episode(out: Outputs) -> dict:
    [row] = table(out, T.FLAG_EPISODES).values()
    return row


def counts(out: Outputs, g: GroupScript) -> dict:
    return {k: v for k, v in table(out, T.PROGRAM_EPISODES)[(g.program_id,)].items() if v}


def test_a_group_called_after_its_flag_that_meets_again_recovered_after_outreach():
    g, policy = comes_back("called", call=True)
    out = run(g, policy, BACK + timedelta(days=10))
    row = only_episode(out)
    assert row["outcome"] == "recovered"
    assert row["first_intervention_at"] == (BACK - timedelta(hours=6)).isoformat()
    assert (row["first_intervention_kind"], row["first_intervention_by"]) == (
        "call",
        uid("coordinator"),
    )
    assert row["flagged_at"] < row["first_intervention_at"] < row["outcome_at"]
    assert row["outcome_at"] <= (BACK + timedelta(days=2)).isoformat()
    assert counts(out, g) == {"flagged": 1, "reached_out": 1, "recovered": 1,
                              "reached_out_recovered": 1}  # fmt: skip


def test_a_group_that_meets_again_on_its_own_recovered_without_outreach():
    g, policy = comes_back("alone", call=False)
    out = run(g, policy, BACK + timedelta(days=10))
    row = only_episode(out)
    assert (row["outcome"], row["first_intervention_at"], row["interventions"]) == (
        "recovered", None, 0)  # fmt: skip
    assert counts(out, g) == {"flagged": 1, "recovered": 1}


def test_a_group_that_stays_silent_went_dormant_even_after_a_call():
    g, policy = stops()
    g.intervene(STOP_FLAGGED_BY + timedelta(hours=1), "message")
    out = run(g, policy, T0 + timedelta(days=49 + 40))
    row = only_episode(out)
    assert (row["outcome"], row["first_intervention_kind"]) == ("went_dormant", "message")
    assert counts(out, g) == {"flagged": 1, "reached_out": 1, "went_dormant": 1}


def test_a_flagged_group_merged_into_another_ended():
    g, policy = stops()
    at = STOP_FLAGGED_BY + timedelta(hours=1)
    g.intervene(at, "merged", merged_into=uid("group:other"))
    g.emit("group.dissolved", at, reason="merged into another group")
    out = run(g, policy, T0 + timedelta(days=49 + 40))
    row = only_episode(out)
    assert (row["outcome"], row["outcome_at"]) == ("ended", at.isoformat())
    assert row["first_intervention_kind"] == "merged"
    assert counts(out, g) == {"flagged": 1, "reached_out": 1, "ended": 1}


def test_a_flagged_group_concluded_without_a_word_ended_without_outreach():
    g, policy = stops()
    g.emit("group.concluded", STOP_FLAGGED_BY + timedelta(hours=2), reason="term over")
    out = run(g, policy, T0 + timedelta(days=49 + 40))
    assert only_episode(out)["outcome"] == "ended"
    assert counts(out, g) == {"flagged": 1, "ended": 1}


def test_an_episode_with_no_outcome_yet_is_still_at_risk():
    g, policy = stops()
    out = run(g, policy, STOP_FLAGGED_BY + timedelta(hours=6))
    row = only_episode(out)
    assert (row["outcome"], row["outcome_at"]) == ("still_at_risk", None)
    assert counts(out, g) == {"flagged": 1, "still_at_risk": 1}


def test_an_intervention_before_the_flag_is_not_outreach_on_it():
    g, policy = stops()
    g.intervene(T0 + timedelta(days=55), "meeting")  # after the last kept commitment
    out = run(g, policy, T0 + timedelta(days=49 + 40))
    row = only_episode(out)
    assert row["flagged_at"] > (T0 + timedelta(days=55)).isoformat()
    assert (row["first_intervention_at"], row["interventions"]) == (None, 0)
    assert "reached_out" not in counts(out, g)


def _flagged_state(cadence: str = "weekly") -> GroupState:
    s = GroupState("g", program_id="p", cadence=cadence, now=T0)
    episodes.judge(s, "at_risk", [])
    return s


def test_recovery_after_three_periods_is_recovered_late_not_recovered():
    s = _flagged_state()
    s.last_held_at = s.now = T0 + timedelta(days=21, hours=1)
    rows: list = []
    episodes.judge(s, "healthy", rows)
    assert rows[0].values["outcome"] == "recovered_late"
    assert rows[1].values == {"recovered_late": 1, "still_at_risk": -1}
    assert s.episode is None


def test_healthy_without_a_session_since_the_flag_is_not_a_recovery():
    s = _flagged_state("fortnightly")
    s.last_held_at, s.now = T0 - timedelta(days=1), T0 + timedelta(days=5)
    rows: list = []
    episodes.judge(s, "healthy", rows)
    assert rows == [] and s.episode == Episode(1, T0)


def test_at_risk_watch_at_risk_is_one_episode_and_watch_never_opens_one():
    s = GroupState("g", program_id="p", now=T0)
    episodes.judge(s, "watch", [])
    assert s.episode is None
    for level in ("at_risk", "watch", "at_risk"):
        episodes.judge(s, level, [])
    assert s.episodes == 1 and s.episode is not None


def fleet() -> list[dict]:
    called, policy = comes_back("f-called", call=True)
    alone, _ = comes_back("f-alone", call=False)
    silent, _ = stops("f-stop")
    silent.intervene(STOP_FLAGGED_BY + timedelta(hours=1), "message")
    ended, _ = stops("f-end")
    ended.intervene(STOP_FLAGGED_BY + timedelta(hours=3), "ended")
    ended.emit("group.concluded", STOP_FLAGGED_BY + timedelta(hours=3), reason="ended")
    end = T0 + timedelta(days=49 + 40)
    clock = ticks(Clock(), T0, end)
    return merge(called.events, alone.events, silent.events, ended.events, clock), policy


def _restored(p: Projector) -> Projector:
    """What the worker restores from its read model: every state, pickled and back."""
    groups, programs, clock = pickle.loads(pickle.dumps((p.groups, p.programs, p.clock)))
    fresh = Projector(p.policy)
    fresh.clock, fresh.programs = clock, programs
    for state in groups.values():
        fresh.adopt(state)
    return fresh


@settings(max_examples=5, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=4))
def test_live_with_restarts_writes_the_episodes_one_rebuild_pass_writes(cuts):
    events, policy = fleet()
    evs = envelopes(events)
    rebuild = Projector(policy).run(evs)
    live, p, start = Outputs(), Projector(policy), 0
    for cut in sorted({c % len(evs) for c in cuts}) + [len(evs)]:
        p.run(evs[start:cut], live)
        p, start = _restored(p), cut  # a worker restart between batches
    for t in (T.FLAG_EPISODES, T.PROGRAM_EPISODES, T.GROUP_TIMELINE):
        assert table(live, t) == table(rebuild, t), t.name
    outcomes = Counter(r["outcome"] for r in table(rebuild, T.FLAG_EPISODES).values())
    # the two that came back are flagged again in the silence after their last session
    assert outcomes == {"recovered": 2, "went_dormant": 3, "ended": 1}


def test_an_intervention_leaves_the_kept_timeless_reasons_valid():
    """Interventions are neutral (``signals.NEUTRAL_TYPES``): keeping the timeless reasons
    across one writes what recomputing them at every judgement writes."""

    class Uncached(Projector):
        def _timeless_reasons(self, s):
            return timeless_reasons(s, self.policy)

    events, policy = fleet()
    kept, fresh = Projector(policy).run(envelopes(events)), Uncached(policy).run(envelopes(events))
    assert any(r.table == T.FLAG_EPISODES.name for r in kept.rows)
    assert (kept.rows, kept.alerts) == (fresh.rows, fresh.alerts)

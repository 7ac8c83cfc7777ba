"""Hindsight labels from a hand-made event stream: dormant, kept meeting, censored, ended."""

from __future__ import annotations

from datetime import timedelta

from projections.backtest.labels import Facts, hindsight
from tests.unit.projections.builder import (
    T0,
    GroupScript,
    cloudevent,
    envelopes,
    merge,
    uid,
    weekly,
)

D = timedelta(days=1)
END = T0 + 70 * D


def _labels(*scripts: GroupScript, end=END):
    facts = Facts()
    for ev in envelopes(merge(*(s.events for s in scripts))):
        facts.see(ev)
    return {label.group: label for label in hindsight(facts, end).values()}


def test_a_group_silent_for_three_periods_after_its_last_session_went_dormant_then():
    stops = GroupScript("stops")
    for at in weekly(T0, 4):
        stops.session(at)
    label = _labels(stops)[stops.group_id]
    assert label.kind == "dormant" and label.at == T0 + 21 * D + 21 * D


def test_a_group_still_meeting_at_the_end_kept_meeting():
    steady = GroupScript("steady")
    for at in weekly(T0, 10):
        steady.session(at)
    label = _labels(steady)[steady.group_id]
    assert (label.kind, label.at) == ("kept_meeting", None)


def test_a_group_that_went_quiet_too_recently_to_tell_is_censored():
    quiet = GroupScript("quiet")
    for at in weekly(T0, 8):
        quiet.session(at)  # last at day 49: 21 days of silence at day 70, dormant only at 70
    assert _labels(quiet, end=END - D)[quiet.group_id].kind == "censored"
    assert _labels(quiet, end=END)[quiet.group_id].kind == "dormant"


def test_a_silence_the_group_came_back_from_is_not_dormancy():
    back = GroupScript("back")
    for at in [*weekly(T0, 3), *weekly(T0 + 50 * D, 3)]:
        back.session(at)
    assert _labels(back)[back.group_id].kind == "kept_meeting"


def test_dormancy_counts_in_the_amended_cadence_and_after_a_planned_pause():
    fortnightly = GroupScript("fortnightly")
    fortnightly.emit("group.details-amended", T0, name="F", cadence="fortnightly", goal="g",
                     coordinator_id=None)  # fmt: skip
    for at in weekly(T0, 3, every=14):
        fortnightly.session(at)  # last at day 28: fortnightly dormancy at day 70
    paused = GroupScript("paused")
    paused.session(T0)
    paused.emit("group.paused", T0 + D, until=T0 + 40 * D, reason="exams")
    labels = _labels(fortnightly, paused, end=END + 30 * D)
    assert labels[fortnightly.group_id].at == T0 + 70 * D
    assert labels[paused.group_id].at == T0 + 61 * D, "three weeks after the pause's end"


def test_events_of_a_member_rather_than_a_group_label_nothing():
    steady = GroupScript("steady")
    steady.session(T0)
    steady.events.append(cloudevent("member.registered", uid("someone"), 1, T0, name="x"))
    assert list(_labels(steady)) == [steady.group_id]


def test_a_group_in_a_planned_pause_at_the_end_kept_meeting():
    pausing = GroupScript("pausing")
    pausing.session(T0 + 40 * D)
    pausing.emit("group.paused", T0 + 41 * D, until=END + 20 * D, reason="holidays")
    assert _labels(pausing)[pausing.group_id].kind == "kept_meeting"


def test_a_group_dissolved_before_going_dormant_was_dissolved():
    ended = GroupScript("ended")
    ended.session(T0)
    ended.emit("group.dissolved", T0 + 10 * D, reason="moved away")
    label = _labels(ended)[ended.group_id]
    assert (label.kind, label.at) == ("dissolved", T0 + 10 * D)


def test_a_label_keeps_the_longest_silence_the_group_came_back_from():
    back = GroupScript("back")
    for at in [*weekly(T0, 3), *weekly(T0 + 50 * D, 3)]:
        back.session(at)  # days 0, 7, 14, then 50: 36 days = 5.1 weekly periods
    steady = GroupScript("steady")
    for at in weekly(T0, 10):
        steady.session(at)
    stops = GroupScript("stops")
    for at in weekly(T0, 4):
        stops.session(at)  # the silence still running at the end is not one it came back from
    labels = _labels(back, steady, stops)
    assert labels[back.group_id].quiet == 36 / 7
    assert labels[steady.group_id].quiet == 1.0
    assert labels[stops.group_id].quiet == 1.0


def test_an_announced_pause_is_not_silence_in_the_longest_quiet():
    paused = GroupScript("paused")
    paused.session(T0)
    paused.emit("group.paused", T0 + 6 * D, until=T0 + 40 * D, reason="exams")
    for at in weekly(T0 + 44 * D, 4):
        paused.session(at)  # from 4 days after the pause's end
    label = _labels(paused)[paused.group_id]
    assert label.kind == "kept_meeting"
    assert label.quiet == 1.0, "44 days between sessions, but 34 of them announced: weekly gaps"

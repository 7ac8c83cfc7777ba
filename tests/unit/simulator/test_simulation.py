"""The generator is deterministic, speaks the ingest contract, and carries realistic noise."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from infra.contract.inbound.decoder import Command, decode
from infra.simulator import simulate
from infra.simulator.contract import validate
from infra.simulator.delivery import MAX_DELAY
from infra.simulator.sinks import _encode
from tests.unit.simulator.views import END


def test_same_seed_gives_identical_messages_and_truth():
    a, b = simulate(7, END, groups=20), simulate(7, END, groups=20)
    assert a.messages == b.messages
    assert a.truth_json() == b.truth_json()


def test_different_seeds_give_different_programs():
    assert simulate(1, END, groups=20).messages != simulate(2, END, groups=20).messages


def test_every_message_passes_the_ingest_decoder(programs):
    for sim, _ in programs:
        for message in sim.messages:
            result = decode(_encode(message), None, END + timedelta(hours=1))
            assert isinstance(result, Command), (result, message)
            validate(message)


def test_messages_arrive_out_of_order_but_within_the_bounded_window(programs):
    late = 0
    for sim, _ in programs:
        newest = None
        for message in sim.messages:
            at = datetime.fromisoformat(message["time"])
            if newest and at < newest:
                late += 1
                assert newest - at <= 2 * MAX_DELAY, message
            newest = max(newest or at, at)
        assert newest <= END
    assert late > 0.02 * sum(len(s.messages) for s, _ in programs), "out of order, often"


def test_the_programs_own_messages_come_first(programs):
    for sim, _ in programs:
        lead = next(i for i, m in enumerate(sim.messages) if m.get("subject"))
        kinds = {m["type"] for m in sim.messages[:lead]}
        assert kinds == {"peerpulse.ingest.program.launched.v1",
                         "peerpulse.ingest.coordinator.assigned.v1"}  # fmt: skip


def test_some_rosters_arrive_before_their_group_is_formed(programs):
    for sim, _ in programs:
        first_kind: dict[str, str] = {}
        for m in sim.messages:
            first_kind.setdefault(m.get("subject", ""), m["type"].split(".")[2])
        early = [t for t in sim.truth if first_kind[t.group] == "member"]
        assert 0.1 * len(sim.truth) <= len(early) <= 0.6 * len(sim.truth)
        published_first = [t for t in sim.truth if t.roster_first]
        assert sum(first_kind[t.group] == "member" for t in published_first) >= 0.7 * len(
            published_first
        ), "a roster published first mostly arrives first (a late roster message may not)"


def test_noise_is_present(programs):
    kinds = Counter(m["type"].split(".")[2] + "." + m["type"].split(".")[3]
                    for s, _ in programs for m in s.messages)  # fmt: skip
    ids = Counter((m["source"], m["id"]) for s, _ in programs for m in s.messages)
    held = [m["data"] for s, _ in programs for m in s.messages if m["type"].endswith("held.v1")]
    assert kinds["attendance.marked"] > 0, "late single marks"
    assert kinds["session.cancelled"] > 0 and kinds["group.paused"] > 0
    assert any(n == 2 for n in ids.values()), "duplicates re-sent with the same id"
    assert any(d.get("excused") for d in held), "excused absences"
    assert any(d.get("attendance_taken") is False for d in held), "nobody took attendance"


def test_default_size_and_share_of_dying_groups():
    sim = simulate(3, END)
    assert len(sim.truth) == 60
    assert 0.35 <= sum(t.dies for t in sim.truth) / 60 <= 0.6


@pytest.mark.parametrize("bad", [{"groups": 0}, {"weeks": 0}])
def test_generator_rejects_empty_programs(bad):
    with pytest.raises(ValueError):
        simulate(1, END, **bad)


def test_generator_needs_an_aware_end():
    with pytest.raises(ValueError, match="timezone"):
        simulate(1, END.replace(tzinfo=None))


def test_cancellations_come_with_and_without_a_new_date(programs):
    moved, held, without = 0, 0, 0
    for _, views in programs:
        for view in views.values():
            for sid, (_, reason) in view.cancelled.items():
                if reason.startswith("moved to"):
                    moved += 1
                    held += f"{sid}-moved" in view.held
                else:
                    without += 1
    assert moved >= 20 and without >= 20
    assert held >= 0.8 * moved, "a moved session is mostly held on its new date"


def test_the_program_holiday_silences_every_group(programs):
    for sim, views in programs:
        assert sim.holiday is not None
        start, end = sim.holiday
        assert timedelta(weeks=1) <= end - start <= timedelta(weeks=3)
        for view in views.values():
            assert not any(start <= at < end for at in view.held.values())
        announced = [t for t in sim.truth if any(u == end for _, u in t.pauses)]
        assert 0 < len(announced) < len(sim.truth), "some groups announce it, some do not"


def test_groups_replace_members_and_some_never_record_commitments(programs):
    truths = [(t, v[t.group]) for s, v in programs for t in s.truth]
    replaced = [(t, v) for t, v in truths if t.replaced]
    assert len(replaced) >= 10
    seen = [f"{t.group}-m{t.members}" in {m for p in v.present.values() for m in p}
            for t, v in replaced]  # fmt: skip
    assert sum(seen) >= 0.7 * len(replaced), "the newcomer turns up at later sessions"
    silent = [(t, v) for t, v in truths if not t.records_commitments]
    assert len(silent) >= 10 and all(not v.commitments for _, v in silent)
    assert any(v.commitments for t, v in truths if t.records_commitments)


def test_coordinators_share_the_groups(programs):
    for sim, _ in programs:
        assigned = {m["data"]["coordinator"] for m in sim.messages
                    if m["type"] == "peerpulse.ingest.coordinator.assigned.v1"}  # fmt: skip
        looking_after = Counter(t.coordinator for t in sim.truth)
        assert set(looking_after) == assigned and len(assigned) == 4
        assert max(looking_after.values()) <= 15


def test_in_event_time_order_nobody_appears_after_leaving(programs):
    """Late delivery may reorder a roll call and a departure; the facts themselves agree."""
    names = ("present", "absent", "excused")
    for sim, _ in programs:
        left: dict[str, set[str]] = {}
        for m in sorted(sim.messages, key=lambda m: m["time"]):
            d, kind = m["data"], m["type"].split(".")[2] + "." + m["type"].split(".")[3]
            gone = left.setdefault(d.get("group", ""), set())
            if kind == "member.left":
                gone.add(d["member"])
            elif kind == "session.held":
                assert not gone & {x for n in names for x in d.get(n, [])}, m
            elif kind.startswith(("commitment.", "attendance.")):
                assert d["member"] not in gone, m

"""The generator is deterministic, speaks the ingest contract, and carries realistic noise."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from consumers.ingest.decoder import Command, decode
from infra.simulator import simulate
from infra.simulator.contract import validate
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


def test_messages_are_in_event_time_order_within_the_window(programs):
    for sim, _ in programs:
        times = [m["time"] for m in sim.messages]
        assert times == sorted(times)
        assert sim.messages[-1]["time"] <= END.isoformat().replace("+00:00", "Z")


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

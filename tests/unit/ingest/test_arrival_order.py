"""Issue 13: a program's messages in any order within a bounded window settle the same.

Senders are independent systems (decision 0015): the roster may come before
``group.formed``, a settlement before its commitment, a roll call before its schedule, and
anything may come twice. Whatever the order within ``WINDOW``, the read model must settle
to the state the event-time order gives, and no flag may be raised that the event-time
order would not raise.

One known exception, bounded here: a one-by-one mark that arrives before its session's
roll call holds the session at the mark's time (decision 0015), and the roll call that
follows merges into it without moving that time (no fact says "held earlier"). So a held
session's time may be later than in event-time order, by at most how late its marks are.

A member who leaves after a session may have its roll call or a mark for it arrive after
the ``member.left``: they were on the roster at the session's time, so the mark is
recorded and they stay left (decision 0015); nothing is dead-lettered.

The program is launched for real without ``auto_create``: attendance that arrives before the
group or a member it names is held unmatched and released when the roster names them
(decision 0021), which the late-roster examples exercise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from projections.engine import Projector
from tests.unit.ingest.arrival_kit import GROUP_ID, T0, Message, program_messages, project

WINDOW = 4.0
"""Days any message may be delayed by: enough for every reordering named above."""
HORIZON = T0 + timedelta(days=60)
FLAGS = ("at_risk", "dormant")
LATE_MARK = timedelta(days=0.1)
"""How long after its session the program's late one-by-one mark happened."""
MESSAGES = program_messages()
CANONICAL = project(MESSAGES, HORIZON)


def settled(projector: Projector) -> dict[str, Any]:
    """The read-model facts that must not depend on arrival order."""
    s = projector.groups[GROUP_ID]
    program = projector.programs[s.program_id]
    return {
        "group": (s.name, s.cadence, s.coordinator_id, s.status, s.program_id),
        "program": (program.name, program.cadence, sorted(program.coordinators)),
        "members": {
            m: (v.role, v.active, v.made, v.kept, v.missed, v.present, v.absent, v.excused)
            for m, v in s.members.items()
        },
        "held": {
            r.session_id: (sorted(r.present), sorted(r.absent), sorted(r.excused)) for r in s.recent
        },
        "sessions": (s.held_count, s.cancelled_count),
        "commitments": (s.commitments_made, sorted(s.open_commitments)),
        "level": s.level,
    }


def held_times(projector: Projector) -> dict[str, Any]:
    """When each held session was held, and the group's last held session."""
    s = projector.groups[GROUP_ID]
    return {"last": s.last_held_at, **{r.session_id: r.at for r in s.recent}}


def delivered(delays: list[float], repeats: dict[int, float]) -> list[Message]:
    """Messages in arrival order: each delayed by its own delay, some sent twice."""
    arrivals = [(m.at + d, i, m) for i, (m, d) in enumerate(zip(MESSAGES, delays, strict=True))]
    arrivals += [(MESSAGES[i].at + d, i, MESSAGES[i]) for i, d in repeats.items()]
    return [m for _, _, m in sorted(arrivals, key=lambda a: (a[0], a[1]))]


def _reversed_in_window() -> list[float]:
    """Every message as late as the window allows, later ones less: the most reordering."""
    return [WINDOW * (1 - i / len(MESSAGES)) for i in range(len(MESSAGES))]


def _late_roster(group: float = 0.0) -> list[float]:
    """The launched program's roster late (decision 0021): every join by the whole window."""
    return [WINDOW if m.kind == "member.joined" else group if m.kind == "group.formed" else 0.0
            for m in MESSAGES]  # fmt: skip


def _delays(late: dict[tuple[str, str], float]) -> list[float]:
    """No delay but for the messages named by (kind, their session, else their member)."""
    return [late.get((m.kind, m.data.get("session") or m.data.get("member")), 0.0)
            for m in MESSAGES]  # fmt: skip


def test_the_canonical_order_is_clean_and_projects_the_real_details():
    assert CANONICAL.rejected == []
    state = settled(CANONICAL.projector)
    assert state["group"][:2] == ("Thursday circle", "fortnightly")
    assert [active for _, active, *_ in state["members"].values()].count(False) == 2  # cy, dee
    assert state["sessions"][:2] == (3, 1)
    assert not [level for _, level in CANONICAL.levels if level in FLAGS]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delays=st.lists(st.floats(0, WINDOW), min_size=len(MESSAGES), max_size=len(MESSAGES)),
    repeats=st.dictionaries(st.integers(0, len(MESSAGES) - 1), st.floats(0, WINDOW), max_size=5),
)
@example(delays=_reversed_in_window(), repeats={})
@example(delays=_delays({("session.held", "s4"): 1, ("attendance.marked", "s4"): 1}),
         repeats={})  # s4's roll call after cy and dee left, then dee's mark  # fmt: skip
@example(delays=_delays({("session.held", "s4"): 1}), repeats={})  # merged after cy left
@example(delays=_delays({("session.held", "s4"): 0.5, ("attendance.marked", "s4"): 0.1}),
         repeats={})  # dee's mark, after dee left, holds s4 before its roll call  # fmt: skip
@example(delays=_reversed_in_window(), repeats={i: WINDOW for i in range(0, len(MESSAGES), 3)})
@example(delays=_late_roster(group=3.5), repeats={})  # s1 held unmatched until the group forms
@example(delays=_late_roster(), repeats={})  # s1's marks held unmatched until each member joins
def test_any_arrival_order_within_the_window_settles_to_the_same_read_model(delays, repeats):
    run = project(delivered(delays, repeats), HORIZON)
    assert run.rejected == []
    assert settled(run.projector) == settled(CANONICAL.projector)
    canonical_times = held_times(CANONICAL.projector)
    for key, at in held_times(run.projector).items():
        assert timedelta(0) <= at - canonical_times[key] <= LATE_MARK, key
    canonical_flags = {level for _, level in CANONICAL.levels if level in FLAGS}
    assert {level for _, level in run.levels if level in FLAGS} <= canonical_flags

"""Property: any history of sessions, pauses, excuses and corrections yields exactly the
MemberLapsed / MemberReengaged events of a small reference model written here."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import EngagementApp
from tests.unit.domain.conftest import T0, FakeVault, World

MARK = st.sampled_from([None, "present", "absent", "excused"])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.tuples(MARK, MARK, MARK)),
        st.tuples(st.just("pause"), st.integers(1, 40)),
        st.tuples(st.just("resume")),
        st.tuples(
            st.just("correct"),
            st.integers(0, 30),
            st.integers(0, 2),
            st.sampled_from(["present", "absent", "excused"]),
        ),
    ),
    max_size=30,
)


class Reference:
    """The lapse rule as people say it, replayed over the whole history after every change."""

    def __init__(self, members: list[UUID], lapse_after: int) -> None:
        self.members, self.lapse_after = members, lapse_after
        self.sessions: list[tuple[datetime, UUID, dict[UUID, str]]] = []
        self.pauses: list[list[datetime]] = []
        self.lapsed: set[UUID] = set()

    def paused(self, at: datetime) -> bool:
        return any(start <= at < end for start, end in self.pauses)

    def walk(self, member: UUID) -> tuple[bool, int]:
        streak, lapsed = 0, False
        for at, _, marks in sorted(self.sessions, key=lambda s: s[0]):
            if self.paused(at):
                continue
            if marks.get(member) == "absent":
                streak += 1
                lapsed = lapsed or streak >= self.lapse_after
            elif marks.get(member) == "present":
                streak, lapsed = 0, False
        return lapsed, streak

    def changes(self, session_id: UUID) -> list[tuple[str, UUID, int | UUID]]:
        expected = []
        for member in sorted(self.members, key=str):
            lapsed, streak = self.walk(member)
            if lapsed and member not in self.lapsed:
                self.lapsed.add(member)
                expected.append(("MemberLapsed", member, streak))
            elif member in self.lapsed and not lapsed:
                self.lapsed.discard(member)
                expected.append(("MemberReengaged", member, session_id))
        return expected


def recorded_policy_events(world: World, ops_run) -> list[tuple[str, UUID, int | UUID]]:
    events = world.when(ops_run)
    return [
        (name, e["member_id"], e["misses"] if name == "MemberLapsed" else e["session_id"])
        for name, e in events
        if name in ("MemberLapsed", "MemberReengaged")
    ]


@settings(max_examples=150, deadline=None)
@given(ops=OPS, lapse_after=st.integers(1, 3))
def test_lapse_events_match_the_reference_model(ops: list[tuple], lapse_after: int) -> None:
    world = World(
        EngagementApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, vault=FakeVault())
    ).given_group(3, lapse_after)
    ref = Reference(world.members, lapse_after)
    app, group = world.app, world.group_id
    for step, op in enumerate(ops):
        now = T0 + timedelta(hours=step)
        expected: list[tuple[str, UUID, int | UUID]] = []
        if op[0] == "hold":
            session = uuid4()
            marks = {m: s for m, s in zip(world.members, op[1], strict=True) if s}
            lists = {
                s: [m for m, v in marks.items() if v == s] for s in ("present", "absent", "excused")
            }
            ref.sessions.append((now, session, marks))
            expected = ref.changes(session)
            actual = recorded_policy_events(
                world, partial(app.hold_session, group, session, now, **lists)
            )
        elif op[0] == "pause":
            ref.pauses.append([now, now + timedelta(hours=op[1])])
            actual = recorded_policy_events(
                world, partial(app.pause_group, group, now + timedelta(hours=op[1]), "break", now)
            )
        elif op[0] == "resume":
            for pause in ref.pauses:
                if pause[0] <= now < pause[1]:
                    pause[1] = now
            actual = recorded_policy_events(world, partial(app.resume_group, group, now))
        else:
            if not ref.sessions:
                continue
            _, session, marks = ref.sessions[op[1] % len(ref.sessions)]
            member = world.members[op[2]]
            marks[member] = op[3]
            expected = ref.changes(session)
            actual = recorded_policy_events(
                world, partial(app.correct_attendance, group, session, member, op[3], now)
            )
        assert actual == expected, f"step {step}: {op}"
    assert sorted(app.get_group(group).lapsed) == sorted(str(m) for m in ref.lapsed)

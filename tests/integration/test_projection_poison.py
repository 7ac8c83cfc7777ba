"""One event never stops projection: text PostgreSQL cannot hold (a NUL in a group name, from
an old stored event or a field the contract lets through) is projected on both stores, and
an event the fold cannot take is quarantined while the events behind it are projected."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from infra.sql import NUL_STAND_IN
from projections.readmodel import tables as T
from projections.readmodel.store import ReadModel
from projections.worker.runner import ProjectionRunner
from tests.unit.projections.builder import cloudevent, uid

AT = datetime(2025, 3, 3, 18, tzinfo=UTC)


def _events(group: str, program: str, name: str) -> list[bytes]:
    return [
        json.dumps(e).encode()
        for e in (
            cloudevent(
                "group.formed",
                group,
                1,
                AT,
                program_id=program,
                name=name,
                cadence="weekly",
                goal="ship\x00it",
            ),  # fmt: skip
            cloudevent(
                "session.held",
                group,
                2,
                AT + timedelta(days=1),
                session_id="s-1",
                present=[uid("m")],
                absent=[],
                excused=[],
            ),  # fmt: skip
        )
    ]


def test_a_nul_in_a_group_name_is_projected_not_fatal(store_settings) -> None:
    rm = ReadModel(store_settings).open()
    try:
        rm.reset()
        runner = ProjectionRunner(rm, "nul.events")
        bad, good = uid("nul-group"), uid("good-group")
        events = _events(bad, uid("p"), "Circle\x00Seven") + _events(good, uid("p"), "Fine")
        for offset, value in enumerate(events):
            runner.handle(value, None, 0, offset)
        runner.commit()
        names = {row[0]: row[2] for row in rm.rows(T.GROUP_HEALTH)}
        assert names[good] == "Fine"
        assert names[bad].replace("\x00", NUL_STAND_IN) == f"Circle{NUL_STAND_IN}Seven"
        assert rm.checkpoint("nul.events") == {0: len(events)}
    finally:
        rm.close()


def test_an_event_the_fold_cannot_take_is_quarantined_and_the_rest_projected(
    store_settings,
) -> None:
    rm = ReadModel(store_settings).open()
    try:
        rm.reset()
        runner = ProjectionRunner(rm, "poison.events")
        group = uid("poison-group")
        formed, _ = _events(group, uid("p"), "Circle")
        broken = cloudevent("member.joined", group, 2, AT, role="peer")  # names no member
        held = cloudevent("session.held", group, 3, AT + timedelta(days=1), session_id="s-1",
                          present=[uid("m")], absent=[], excused=[])  # fmt: skip
        events = [formed, json.dumps(broken).encode(), json.dumps(held).encode()]
        handled = [runner.handle(value, None, 0, offset) for offset, value in enumerate(events)]
        runner.commit()
        assert handled == [True, False, True]
        assert runner.rejected == 1
        health = {row[0]: row for row in rm.rows(T.GROUP_HEALTH)}
        last_session = list(T.GROUP_HEALTH.columns).index("last_session_at")
        assert health[group][last_session] is not None  # the session behind it was projected
        assert rm.checkpoint("poison.events") == {0: len(events)}
    finally:
        rm.close()

"""Decision 0021: a program's ``auto_create`` setting, and stored events from before it."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.program import Program
from tests.unit.domain.conftest import World, day


def test_programs_stored_before_the_setting_keep_auto_creating(world: World) -> None:
    encode = world.app.mapper.transcoder.encode
    launched, amended = uuid4(), uuid4()
    v2 = {"timestamp": day(0), "originator_topic": get_topic(Program), "name": "P",
          "organisation": "O", "cadence": "weekly", "lapse_after": 3, "escalate_after_days": 3,
          "__class_version__": 2}  # fmt: skip
    world.app.recorder.insert_events([
        StoredEvent(launched, 1, get_topic(Program.Launched), encode({**v2,
                                                                       "provisional": False})),
        StoredEvent(amended, 1, get_topic(Program.Launched), encode({**v2, "provisional": True})),
        StoredEvent(amended, 2, get_topic(Program.DetailsAmended), encode({
            "timestamp": day(1), "name": "Q", "organisation": "O", "cadence": "weekly",
            "lapse_after": 3, "escalate_after_days": 3})),
    ])  # fmt: skip
    assert world.app.get_program(launched).auto_create is True
    assert world.app.get_program(amended).auto_create is True
    assert world.app.auto_creates(launched)


def test_a_new_program_holds_unmatched_attendance_unless_it_says_otherwise(world: World) -> None:
    world.app.launch_program(world.program_id, "P", "O", "weekly", day(0))
    assert world.app.get_program(world.program_id).auto_create is False
    assert not world.app.auto_creates(world.program_id)
    world.app.change_program(world.program_id, "P", "O", "weekly", 3, 3, True, day(1))
    assert world.app.auto_creates(world.program_id)
    assert world.app.auto_creates(uuid4())  # never launched: decision 0015 provisions it

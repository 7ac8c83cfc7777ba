"""Resume positions per topic incarnation: a broker that lost its data is read again."""

from __future__ import annotations

import logging
from typing import NamedTuple

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from consumers.ingest.positions import Positions, current_tracking_name, tracking_name

TOPIC = "att"


class TP(NamedTuple):
    topic: str
    partition: int


P0, P1 = TP(TOPIC, 0), TP(TOPIC, 1)


class Broker:
    """What the consumer can learn from the broker: true ends and the topic's id."""

    def __init__(self, ends: dict[TP, int], topic_id: str | None) -> None:
        self.ends, self.id = ends, topic_id

    def positions(self, app) -> Positions:
        return Positions(app, lambda tps: {tp: self.ends[tp] for tp in tps}, lambda _: self.id)


def track(app, name: str, offset: int) -> None:
    with app.batch(tracking=Tracking(name, offset)):
        pass


def test_a_fresh_store_reads_from_the_beginning(app):
    assert Broker({P0: 5, P1: 0}, "id-1").positions(app).resume([P0, P1]) == {P0: None, P1: None}


def test_positions_of_the_same_topic_resume_after_the_stored_offset(app):
    broker = Broker({P0: 50, P1: 20}, "id-1")
    first = broker.positions(app)
    first.resume([P0, P1])
    track(app, first.name(P0), 49)
    assert broker.positions(app).resume([P0, P1]) == {P0: 50, P1: None}


def test_pre_incarnation_positions_are_adopted_by_the_first_known_topic_id(app):
    track(app, tracking_name(TOPIC, 0), 9)
    positions = Broker({P0: 30, P1: 0}, "id-1").positions(app)
    assert positions.resume([P0, P1]) == {P0: 10, P1: None}
    assert positions.name(P0) == tracking_name(TOPIC, 0)


def test_a_topic_created_again_starts_a_new_incarnation_with_a_warning(app, caplog):
    old = Broker({P0: 50, P1: 50}, "id-1").positions(app)
    old.resume([P0, P1])
    track(app, old.name(P0), 49)
    track(app, old.name(P1), 49)
    new = Broker({P0: 80, P1: 3}, "id-2").positions(app)  # refilled beyond the old position
    with caplog.at_level(logging.WARNING):
        assert new.resume([P0, P1]) == {P0: None, P1: None}
    assert "created again" in caplog.text
    assert new.name(P0) == tracking_name(TOPIC, 0, 2) != old.name(P0)
    track(app, new.name(P0), 0)  # the same offset number again: no collision
    assert current_tracking_name(app, TOPIC, 0) == new.name(P0)


@pytest.mark.parametrize("topic_id", [None, "id-1"])
def test_a_position_beyond_the_true_end_means_the_broker_lost_its_data(app, caplog, topic_id):
    track(app, tracking_name(TOPIC, 0), 99)
    positions = Broker({P0: 4, P1: 0}, topic_id).positions(app)
    with caplog.at_level(logging.WARNING):
        assert positions.resume([P0, P1]) == {P0: None, P1: None}
    assert "position 99 >= end 4" in caplog.text
    track(app, positions.name(P0), 3)
    assert Broker({P0: 4, P1: 0}, topic_id).positions(app).resume([P0]) == {P0: 4}


def test_the_store_refuses_the_same_position_twice_under_one_name(app):
    track(app, tracking_name(TOPIC, 0), 5)
    with pytest.raises(IntegrityError):
        app.recorder.insert_tracking(Tracking(tracking_name(TOPIC, 0), 5))

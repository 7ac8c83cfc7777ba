"""Resume positions per topic incarnation: a broker that lost its data is read again."""

from __future__ import annotations

import logging
from typing import NamedTuple

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from consumers.ingest.positions import (
    Positions,
    current_tracking_name,
    split,
    stored_offset,
    tracking_name,
    word,
)
from domain.errors import ConcurrentModification

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
    """A batch through ``offset`` recorded as a process before decision 0024 did (epoch 0)."""
    with app.batch(tracking=Tracking(name, offset)):
        pass


def applied(app, positions: Positions, tp: TP, offset: int) -> None:
    """A batch through ``offset`` recorded by the process that claimed ``tp``."""
    with app.batch(tracking=positions.tracking(tp, offset)):
        pass


def test_a_fresh_store_reads_from_the_beginning(app):
    assert Broker({P0: 5, P1: 0}, "id-1").positions(app).resume([P0, P1]) == {P0: None, P1: None}


def test_positions_of_the_same_topic_resume_after_the_stored_offset(app):
    broker = Broker({P0: 50, P1: 20}, "id-1")
    first = broker.positions(app)
    first.resume([P0, P1])
    applied(app, first, P0, 49)
    assert broker.positions(app).resume([P0, P1]) == {P0: 50, P1: None}


def test_pre_incarnation_positions_are_adopted_by_the_first_known_topic_id(app):
    track(app, tracking_name(TOPIC, 0), 9)
    positions = Broker({P0: 30, P1: 0}, "id-1").positions(app)
    assert positions.resume([P0, P1]) == {P0: 10, P1: None}
    assert positions.name(P0) == tracking_name(TOPIC, 0)


def test_a_topic_created_again_starts_a_new_incarnation_with_a_warning(app, caplog):
    old = Broker({P0: 50, P1: 50}, "id-1").positions(app)
    old.resume([P0, P1])
    applied(app, old, P0, 49)
    applied(app, old, P1, 49)
    new = Broker({P0: 80, P1: 3}, "id-2").positions(app)  # refilled beyond the old position
    with caplog.at_level(logging.WARNING):
        assert new.resume([P0, P1]) == {P0: None, P1: None}
    assert "created again" in caplog.text
    assert new.name(P0) == tracking_name(TOPIC, 0, 2) != old.name(P0)
    applied(app, new, P0, 0)  # the same offset number again: no collision
    assert current_tracking_name(app, TOPIC, 0) == new.name(P0)


@pytest.mark.parametrize("topic_id", [None, "id-1"])
def test_a_position_beyond_the_true_end_means_the_broker_lost_its_data(app, caplog, topic_id):
    track(app, tracking_name(TOPIC, 0), 99)
    positions = Broker({P0: 4, P1: 0}, topic_id).positions(app)
    with caplog.at_level(logging.WARNING):
        assert positions.resume([P0, P1]) == {P0: None, P1: None}
    assert "position 99 >= end 4" in caplog.text
    applied(app, positions, P0, 3)
    assert Broker({P0: 4, P1: 0}, topic_id).positions(app).resume([P0]) == {P0: 4}


def test_the_store_refuses_the_same_position_twice_under_one_name(app):
    track(app, tracking_name(TOPIC, 0), 5)
    with pytest.raises(IntegrityError):
        app.recorder.insert_tracking(Tracking(tracking_name(TOPIC, 0), 5))


def test_a_word_keeps_the_epoch_and_the_offset_and_grows_with_the_epoch():
    assert split(word(3, 41)) == (3, 41)
    assert split(word(2, None)) == (2, None)
    assert split(41) == (0, 41)  # a store from before decision 0024
    assert split(None) == (0, None)
    assert word(1, None) > word(0, 10**9) and word(2, None) > word(1, 10**9)
    assert word(1, 0) > word(1, None)  # within an epoch the word grows with the offset


def test_each_assignment_claims_the_partition_with_a_newer_epoch(app):
    broker = Broker({P0: 50, P1: 0}, "id-1")
    first = broker.positions(app)
    assert first.resume([P0]) == {P0: None}
    applied(app, first, P0, 9)
    second = broker.positions(app)
    assert second.resume([P0]) == {P0: 10}  # the offset survives the claim
    assert second.epochs[P0] == first.epochs[P0] + 1
    assert stored_offset(app, TOPIC, 0) == 9
    assert first.taken_over(P0) and not second.taken_over(P0)


def test_a_process_that_lost_its_partition_cannot_commit_a_batch(app):
    """The fence: the old owner's batch fails in the store, whatever offset it carries."""
    broker = Broker({P0: 50, P1: 0}, "id-1")
    old = broker.positions(app)
    old.resume([P0])
    applied(app, old, P0, 9)
    new = broker.positions(app)
    new.resume([P0])
    with pytest.raises(ConcurrentModification):
        applied(app, old, P0, 40)  # ahead of the new owner: still refused
    applied(app, new, P0, 12)
    assert stored_offset(app, TOPIC, 0) == 12

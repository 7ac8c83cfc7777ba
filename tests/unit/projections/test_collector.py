"""The replay's garbage-collector setting: fewer passes inside, CPython's own after."""

from __future__ import annotations

import gc

import pytest

from projections.worker.collector import YOUNG, fewer_collections


def test_the_young_threshold_is_raised_inside_and_restored_after():
    before = gc.get_threshold()
    with fewer_collections():
        inside = gc.get_threshold()
    assert inside == (max(YOUNG, before[0]), *before[1:])
    assert inside[0] > 700, "fewer young passes than CPython's default"
    assert gc.get_threshold() == before


def test_the_thresholds_are_restored_when_the_replay_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a broken replay")
    assert gc.get_threshold() == before

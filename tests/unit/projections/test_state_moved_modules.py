"""Projector states pickled before projections was split into rooms still restore."""

from __future__ import annotations

import pickle
import sys
from datetime import UTC, datetime

import pytest

from projections.fold import state as state_module
from projections.fold.state import GroupState, MemberState
from projections.worker.runner import MOVED_MODULES, load_state


def _pickled_under(old_module: str, obj: object, *classes: type) -> bytes:
    """``obj`` pickled as a build before the move would have: its classes named under
    ``old_module``."""
    sys.modules[old_module] = state_module
    try:
        for cls in classes:
            cls.__module__ = old_module
        return pickle.dumps(obj, protocol=5)
    finally:
        for cls in classes:
            cls.__module__ = state_module.__name__
        del sys.modules[old_module]


def test_a_group_state_stored_under_the_old_module_name_restores() -> None:
    at = datetime(2025, 1, 7, 18, tzinfo=UTC)
    s = GroupState("g-1", partition=2, seq=5)
    s.members["m-1"] = MemberState(role="peer", joined_at=at)
    body = _pickled_under("projections.model", s, GroupState, MemberState)
    assert b"projections.model" in body
    with pytest.raises(ModuleNotFoundError):  # a plain load no longer finds the old module
        pickle.loads(body)
    restored = load_state(body)
    assert isinstance(restored, GroupState)
    assert (restored.group_id, restored.partition, restored.seq) == ("g-1", 2, 5)
    assert restored.members["m-1"].joined_at == at


def test_every_moved_module_name_points_at_an_existing_module() -> None:
    import importlib

    for new in MOVED_MODULES.values():
        importlib.import_module(new)

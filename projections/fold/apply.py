"""The pure fold ``apply(state, event) -> state`` for groups and programs.

A :class:`~projections.fold.state.GroupState` holds what the risk model needs about one group
(roster and roles, recent held sessions with attendance, cancellations, commitments per
session window, lapses, pause, facilitator, formed_at, last version, ``now``).

For speed ``apply`` updates the state in place and returns it; the projector owns the
states, so nothing else observes the mutation. Events whose aggregate version is not
newer than ``last_version`` are ignored: redelivery is harmless.
"""

from __future__ import annotations

from datetime import datetime

from projections.fold.envelope import Envelope
from projections.fold.handlers import HANDLERS, PROGRAM_HANDLERS
from projections.fold.state import (
    CADENCE_DAYS,
    GroupState,
    MemberState,
    ProgramState,
    SessionRecord,
    Window,
)

__all__ = [
    "CADENCE_DAYS",
    "GroupState",
    "MemberState",
    "ProgramState",
    "SessionRecord",
    "Window",
    "advance",
    "apply",
    "apply_program",
]


def apply(state: GroupState, ev: Envelope) -> GroupState:
    """Fold one group event into ``state`` (in place) and return it."""
    if ev.version and ev.version <= state.last_version:
        return state
    state.last_version = ev.version or state.last_version + 1
    advance(state, ev.time)
    handler = HANDLERS.get(ev.type)
    if handler is not None:
        handler(state, ev.data, ev.time)
    return state


def apply_program(state: ProgramState, ev: Envelope) -> ProgramState:
    """Fold one program event into ``state`` (in place) and return it."""
    if ev.version and ev.version <= state.last_version:
        return state
    state.last_version = ev.version or state.last_version + 1
    handler = PROGRAM_HANDLERS.get(ev.type)
    if handler is not None:
        handler(state, ev.data, ev.time)
    return state


def advance(state: GroupState, at: datetime) -> None:
    """Move the group's ``now`` forward (never backwards)."""
    if state.now is None or at > state.now:
        state.now = at

"""Arrival order: how independent senders actually deliver a program's messages.

Messages are produced in event-time order, then delivered the way at-least-once senders
and several systems publishing independently deliver them: some late (a check-in app
syncing hours afterwards, a calendar batching its updates), never more than
:data:`MAX_DELAY` after their event time, and a few twice with the same id (a retry).
Program-wide messages (launch, coordinators) are set up before anything else and are
not delayed. Pure: ``rng`` is the only randomness.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import Any

Message = dict[str, Any]
MAX_DELAY = timedelta(hours=48)
"""The bounded window: a message arrives at most this long after its event time."""
LATE_SHARE = 0.12
"""Share of group messages delivered late (uniformly up to :data:`MAX_DELAY`)."""
DUPLICATE_SHARE = 0.03
"""Share of messages a sender delivers twice (the copy within :data:`MAX_DELAY` too)."""


def _time(message: Message) -> datetime:
    return datetime.fromisoformat(message["time"])


def _delay(rng: Random) -> timedelta:
    if rng.random() < LATE_SHARE:
        return timedelta(seconds=rng.randint(600, int(MAX_DELAY.total_seconds())))
    return timedelta(seconds=rng.randint(0, 120))


def deliver(rng: Random, messages: list[Message]) -> list[Message]:
    """``messages`` (event-time order) in arrival order, with late ones and duplicates."""
    arrivals: list[tuple[datetime, int, Message]] = []
    for i, message in enumerate(messages):
        at = _time(message)
        arrival = at + _delay(rng) if message.get("subject") else at
        arrivals.append((arrival, i, message))
        if rng.random() < DUPLICATE_SHARE:
            retry = timedelta(seconds=rng.randint(1, int(MAX_DELAY.total_seconds())))
            arrivals.append((min(arrival + retry, at + MAX_DELAY), i, dict(message)))
    arrivals.sort(key=lambda a: (a[0], a[1]))
    return [message for _, _, message in arrivals]

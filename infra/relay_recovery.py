"""What the relay does when it loses the broker: tell trouble apart, wait with a bounded back-off.

A broker that restarted (the embedded one comes back empty) shows itself to the relay's
idempotent producer as an unknown producer id, an out-of-order sequence number, a refused
connection, a timeout, or an offset that went back. None of these says anything is wrong
with the relay's position: that is always re-read from the topic. So the relay drops its
producer, waits for the broker, finds where it left off again and goes on
(docs/decisions/0007-outbox-relay.md, point 6). Anything else (a record the broker
refuses for its size, an authorisation error) would fail the same way again and stops it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from kafka import errors as kafka_errors

from infra.broker_probe import BrokerError
from infra.errors import UserFacingError, one_line

T = TypeVar("T")

BROKER_TROUBLE: tuple[type[BaseException], ...] = (
    kafka_errors.KafkaError,  # connection errors, timeouts, unknown producer id, sequence...
    BrokerError,
    TimeoutError,
    OSError,
)
"""Errors that mean "the broker went away or came back different"..."""
RECORD_TROUBLE: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.InvalidRecordError,
    kafka_errors.InvalidTopicError,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
)
"""...except these, which would fail the same way after any number of retries."""
MAX_FRUITLESS = 5
"""Recoveries in a row without one acknowledged record before the relay gives up (exit 4)."""
FIRST_DELAY, MAX_DELAY = 0.2, 5.0
"""Back-off between attempts to reach the broker again, in seconds (doubling, capped)."""


class PublishFailed(UserFacingError):
    """The broker did not acknowledge a record for a reason retrying cannot fix, or did not
    come back in time; the relay stops and a restart resumes from the topic."""

    exit_code = 4


class BrokerLostData(UserFacingError):
    """The broker handed out an offset it had already given: it lost the topic under us."""

    exit_code = 4


def is_broker_trouble(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means the broker was lost or restarted."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RECORD_TROUBLE):
            return False
        if isinstance(seen, (BrokerLostData, *BROKER_TROUBLE)):
            return True
        seen = seen.__cause__
    return False


def retry_until_back(
    attempt: Callable[[], T],
    stopping: threading.Event,
    give_up_after: float,
    cause: str,
    on_failure: Callable[[], object] = lambda: None,
) -> T | None:
    """``attempt()`` until it succeeds, waiting FIRST_DELAY..MAX_DELAY s between tries.

    Only broker trouble is retried (after ``on_failure()``); None when ``stopping`` is set
    while waiting; :class:`PublishFailed` naming ``cause`` after ``give_up_after`` seconds.
    """
    deadline, delay = time.monotonic() + give_up_after, FIRST_DELAY
    while not stopping.is_set():
        try:
            return attempt()
        except Exception as exc:
            if not is_broker_trouble(exc):
                raise
            on_failure()
            if time.monotonic() + delay > deadline:
                raise PublishFailed(
                    f"the broker did not come back within {give_up_after:.0f} s "
                    f"(first {cause}; last {one_line(exc)})"
                ) from exc
        stopping.wait(delay)
        delay = min(delay * 2, MAX_DELAY)
    return None

"""Event-time watermark ticks on the real broker: a chunk-wise backfill of several partitions.

The invariant (decision 0012): in the notification log, a ``Clock.Ticked`` at boundary T
is followed only by events whose time is >= T, as long as every partition's own stream
is in event-time order; ticks are consecutive 6-hour boundaries; once everything is
applied the clock stands at the boundary of the newest event.
"""

from __future__ import annotations

import pytest

from domain.clock import TICK_EVERY, boundary_at_or_before
from infra.kafka import producer
from tests.integration.ingest_kit import container, message, positions, running, topics, wait_for

pytestmark = [pytest.mark.kafka]
PARTITIONS, GROUPS, MEMBERS, WEEKS = 3, 8, 5, 16


def history(p: int) -> list[bytes]:
    """One partition's programs and groups, week by week, in event-time order."""
    out = []
    for g in range(GROUPS):
        group, program = f"p{p}g{g}", f"prog{p}-{g}"
        out.append(message("group.formed", {"name": group, "cadence": "weekly"},
                           group=group, program=program))  # fmt: skip
    for w in range(WEEKS):
        for g in range(GROUPS):
            for m in range(MEMBERS):
                status = "absent" if (p + g + m + w) % 4 == 0 else "present"
                out.append(message("attendance.marked",
                                   {"session": f"w{w}", "member": f"m{m}", "status": status},
                                   at=7 * w + 1 + g / 100 + m / 1000, group=f"p{p}g{g}",
                                   program=f"prog{p}-{g}"))  # fmt: skip
    return out


def publish_by_partition(bootstrap: str, topic: str) -> int:
    """Each partition gets its own history (explicit partition); returns how many."""
    prod, n = producer(bootstrap), 0
    for p in range(PARTITIONS):
        for value in history(p):
            prod.send(topic, value=value, key=f"k{p}".encode(), partition=p)
            n += 1
    prod.flush(30)
    prod.close()
    return n


def stored_log(app) -> list:
    last = app.recorder.max_notification_id() or 0
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, last)]


def test_ticks_never_run_ahead_of_events_stored_after_them(store_settings, kafka_bootstrap):
    topic, dead = topics(kafka_bootstrap, partitions=PARTITIONS)
    c = container(store_settings, kafka_bootstrap)
    n = publish_by_partition(kafka_bootstrap, topic)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic, PARTITIONS) == n, timeout=120, what="applied")
    ticks, newest, violations = [], None, []
    for event in stored_log(c.app):
        if type(event).__qualname__ == "Clock.Ticked":
            ticks.append(event.at)
        elif type(event).__qualname__ != "Clock.Started":
            newest = max(event.timestamp, newest or event.timestamp)
            if ticks and event.timestamp < ticks[-1]:
                violations.append((event.timestamp, ticks[-1]))
    assert violations == [], f"{len(violations)} events stored after a later tick"
    assert len(ticks) > WEEKS * 4
    gaps = [(a, b) for a, b in zip(ticks, ticks[1:], strict=False) if b - a != TICK_EVERY]
    assert gaps == []
    assert ticks[-1] == boundary_at_or_before(newest)
    c.close()

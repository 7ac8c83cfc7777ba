"""The clock: one tick per crossed 6-hour boundary of event time, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.application import EngagementApp
from domain.clock import boundary_at_or_before
from domain.ids import CLOCK_ID
from tests.unit.domain.conftest import facts

NOON = datetime(2025, 3, 3, 12, 30, tzinfo=UTC)


def ticks(app: EngagementApp) -> list[datetime]:
    return [
        payload["at"] for name, payload in facts(list(app.events.get(CLOCK_ID))) if name == "Ticked"
    ]


def test_first_tick_is_recorded_at_the_boundary_before_now(app: EngagementApp) -> None:
    assert app.tick(NOON) is True
    assert ticks(app) == [NOON.replace(hour=12, minute=0)]


def test_no_tick_until_the_next_boundary_is_crossed(app: EngagementApp) -> None:
    app.tick(NOON)
    assert app.tick(NOON + timedelta(hours=5)) is False
    assert app.tick(NOON + timedelta(hours=6)) is True
    assert ticks(app) == [NOON.replace(minute=0), NOON.replace(hour=18, minute=0)]


def test_the_clock_never_moves_backwards(app: EngagementApp) -> None:
    app.tick(NOON)
    assert app.tick(NOON - timedelta(days=1)) is False
    assert len(ticks(app)) == 1


def test_a_long_silence_records_one_tick_at_the_latest_boundary(app: EngagementApp) -> None:
    app.tick(NOON)
    app.tick(NOON + timedelta(days=3))
    assert ticks(app)[-1] == NOON.replace(minute=0) + timedelta(days=3)


def test_boundaries_are_whole_utc_six_hours() -> None:
    oslo = datetime(2025, 3, 3, 7, 0, tzinfo=UTC).astimezone()
    assert boundary_at_or_before(oslo) == datetime(2025, 3, 3, 6, 0, tzinfo=UTC)


def test_ticking_through_records_every_crossed_boundary_in_order(app: EngagementApp) -> None:
    app.tick(NOON)
    assert app.tick_through(NOON + timedelta(days=1)) == 4
    start = NOON.replace(minute=0)
    assert ticks(app) == [start + timedelta(hours=6 * i) for i in range(5)]


def test_ticking_through_never_moves_backwards_or_repeats(app: EngagementApp) -> None:
    app.tick_through(NOON + timedelta(days=1))
    before = ticks(app)
    assert app.tick_through(NOON) == 0
    assert app.tick_through(NOON + timedelta(days=1, hours=5)) == 0
    assert ticks(app) == before


def test_ticking_through_a_gap_longer_than_the_limit_keeps_the_newest_boundaries(
    app: EngagementApp,
) -> None:
    app.tick(NOON)
    assert app.tick_through(NOON + timedelta(days=30), limit=8) == 8
    newest = NOON.replace(minute=0) + timedelta(days=30)
    assert ticks(app)[1:] == [newest - timedelta(hours=6 * i) for i in range(7, -1, -1)]


def test_intermediate_ticks_are_stamped_at_their_boundary_and_the_last_at_now(
    app: EngagementApp,
) -> None:
    app.tick(NOON)
    app.tick_through(NOON + timedelta(hours=13))
    stamps = [(e.timestamp, e.at) for e in app.events.get(CLOCK_ID) if hasattr(e, "at") and e.at]
    assert stamps[-2] == (NOON.replace(hour=18, minute=0),) * 2
    assert stamps[-1] == (NOON + timedelta(hours=13), NOON.replace(minute=0) + timedelta(hours=12))

"""A realistic recorded history for the relay tests, made through the real EngagementApp.

``record_history(app, n)`` records at least ``n`` domain events covering every public
type: programs with coordinators (some provisioned first, then amended), groups whose
members attend, lapse and come back, make and keep commitments (some settled before
their details arrive, then amended), pause, and end; clock ticks in between.
"""

from __future__ import annotations

from infra.contract import BY_TYPE
from infra.contract.registry import BY_DOMAIN
from tests.integration.relay_kit import (
    record_history,
)


def test_history_covers_every_public_event_type(sqlite_settings):
    from peerpulse.build import build

    container = build(sqlite_settings)
    try:
        app = container.app
        last = record_history(app, 1500)
        names = {n.topic.rsplit(":", 1)[1] for n in app.recorder.select_notifications(1, last)}
        assert {BY_DOMAIN[d].TYPE for d in names if d in BY_DOMAIN} == set(BY_TYPE)
        assert last >= 1500
    finally:
        container.close()

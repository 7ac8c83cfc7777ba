"""Acting on alerts in a real browser (Debian chromium via Playwright): acknowledge,
snooze until a date and log an intervention from the dashboard; a signed e-mail link that
acknowledges an alert, then is refused the second time and after it expired.

Screenshots land in ``test-output/``; without chromium the tests skip locally and fail
under CI=true (the ``page`` fixture of :mod:`tests.e2e.test_dashboard_browser`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from peerpulse.build import build
from tests.e2e.browser_kit import serving
from tests.e2e.test_dashboard_browser import OUT, page  # noqa: F401  (the chromium fixture)
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher


@pytest.fixture
def served(sqlite_settings):
    """A live API over the seeded data: ``(base URL, coordinator secret, parts, publisher)``."""
    seed.seed_readmodel(sqlite_settings)
    seed.seed_alerts(sqlite_settings)
    publisher = FakePublisher()
    parts = build(sqlite_settings, attendance_publisher=publisher, app=seed.FakeApp())
    _, secret = parts.token_store.create("ana", ["read"], [seed.PROGRAM_A],
                                         coordinator=seed.COORD_1)  # fmt: skip
    with serving(parts) as base:
        yield base, secret, parts, publisher


def test_ack_snooze_until_and_intervention_from_the_dashboard(served, page):  # noqa: F811
    base, secret, parts, publisher = served
    page.goto(f"{base}/login?token={secret}")
    page.goto(f"{base}/groups/{seed.gid(1)}")
    alerts = page.locator("#group-alerts tbody tr")
    assert alerts.count() == 2  # Circle 7: its health and a member's lapse

    page.get_by_label("Comment").first.fill("Calling the facilitator today")
    page.get_by_role("button", name="Acknowledge").first.click()
    page.wait_for_url(f"{base}/groups/{seed.gid(1)}")
    assert "Calling the facilitator today" in page.locator("#group-alerts").inner_text()

    day = (datetime.now(UTC) + timedelta(days=5)).date()
    acked_row = page.locator("#group-alerts tbody tr", has_text="Calling the facilitator")
    acked_row.get_by_label("Snooze until").fill(day.isoformat())
    acked_row.get_by_role("button", name="Snooze").click()
    page.wait_for_url(f"{base}/groups/{seed.gid(1)}")
    row = page.locator("#group-alerts tbody tr", has_text="Calling the facilitator")
    assert "snoozed until" in row.inner_text()
    assert "Calling the facilitator today" in row.inner_text()
    snoozed = parts.alert_store.list(status="snoozed")
    assert len(snoozed) == 1 and snoozed[0].snoozed_until.date() == day
    assert snoozed[0].ack_comment == "Calling the facilitator today"  # a snooze keeps it

    page.get_by_label("I did").select_option("meeting")
    page.get_by_label("Note").fill("Restart session on Thursday")
    page.get_by_role("button", name="Log intervention").click()
    page.wait_for_url(f"{base}/groups/{seed.gid(1)}?logged=meeting")
    (sent,) = [json.loads(value) for _, value, _ in publisher.sent]
    assert sent["type"] == "peerpulse.ingest.intervention.logged.v1"
    assert sent["data"]["kind"] == "meeting" and sent["data"]["coordinator"] == seed.COORD_1
    assert sent["data"]["note"] == "Restart session on Thursday"
    page.screenshot(path=str(OUT / "dashboard-group-actions.png"), full_page=True)


def test_a_signed_link_acknowledges_once_then_is_refused_and_expires(served, page):  # noqa: F811
    base, _, parts, _ = served
    signer = parts.alert_reads.signer
    url = signer.link(base, "al-3", "ack", seed.COORD_1, datetime.now(UTC))

    page.goto(url)  # what a mail scanner's fetch does: nothing changes
    assert page.locator("h1").inner_text() == "Confirm"
    assert "Circle 3 — Growth" in page.locator("main").inner_text()
    assert parts.alert_store.get("al-3").status == "escalated"
    page.get_by_role("button", name="Acknowledge").click()
    assert page.locator("h1").inner_text() == "Done"
    assert parts.alert_store.get("al-3").status == "acknowledged"
    page.screenshot(path=str(OUT / "action-link-done.png"), full_page=True)

    again = page.goto(url)
    assert again.status == 410 and page.locator("h1").inner_text() == "Link already used"

    old = signer.link(base, "al-1", "ack", seed.COORD_1, datetime.now(UTC) - timedelta(days=8))
    expired = page.goto(old)
    assert expired.status == 410 and page.locator("h1").inner_text() == "Link expired"
    assert parts.alert_store.get("al-1").status == "delivered"

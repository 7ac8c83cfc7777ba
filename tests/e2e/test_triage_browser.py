"""Triage on the dashboard in a real browser (Debian chromium via Playwright, issue 14):
saveable groups first and dormant ones apart, the filter form, pages with their totals,
and a coordinator-bound token that sees only its coordinator's groups.

Served like ``test_dashboard_browser``; screenshots land in ``test-output/``.
"""

from __future__ import annotations

import pytest

from peerpulse.build import build
from tests.e2e.browser_kit import serving
from tests.e2e.test_dashboard_browser import OUT, page  # noqa: F401  (the chromium fixture)
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher

EXTRA = 55
"""Healthy groups added to program B, so the caseload needs two pages."""


def _seed_extra_groups(settings) -> None:
    from projections.outputs.rows import RowChange
    from projections.readmodel import tables as T
    from projections.readmodel.batch import Batch
    from projections.readmodel.store import ReadModel

    batch = Batch()
    for n in range(EXTRA):
        batch.add([RowChange(T.GROUP_HEALTH.name, (seed.gid(500 + n),), {
            "program_id": str(seed.PROGRAM_B), "name": f"Mentors {n:02d}", "status": "active",
            "level": "healthy", "probability": 0.01, "score": 0.01,
            "coordinator_id": seed.COORD_2})])  # fmt: skip
    model = ReadModel(settings).open()
    model.write(batch)
    model.close()


@pytest.fixture
def served(sqlite_settings):
    """A live server over the seeded data (plus :data:`EXTRA` groups); yields its base URL
    and secrets: ``ops`` (every program) and ``ana`` (bound to coordinator COORD_1)."""
    seed.seed_readmodel(sqlite_settings)
    seed.seed_alerts(sqlite_settings)
    _seed_extra_groups(sqlite_settings)
    container = build(sqlite_settings, attendance_publisher=FakePublisher(), app=seed.FakeApp())
    store = container.token_store
    secrets = {"ops": store.create("ops", ["read"])[1],
               "ana": store.create("ana", ["read"], coordinator=seed.COORD_1)[1]}  # fmt: skip
    with serving(container) as base:
        yield base, secrets


def _names(page, table: str) -> list[str]:  # noqa: F811
    return [t.strip() for t in page.locator(f"#{table} tbody tr th").all_inner_texts()]


def test_triage_order_and_filters(served, page):  # noqa: F811
    base, secrets = served
    page.goto(f"{base}/login?token={secrets['ops']}")
    page.goto(f"{base}/programs/{seed.PROGRAM_A}")
    assert _names(page, "triage") == [
        "Circle 7 — Founders", "Circle 9 — Product", "Circle 1 — Hiring",
        "Circle 4 — Fundraising"]  # fmt: skip
    assert _names(page, "gone-quiet") == ["Circle 3 — Growth"]
    assert page.locator("#gone-quiet-h").inner_text() == "Gone quiet: reach out or close"
    assert page.locator("#triage-count").inner_text() == "Showing 1–4 of 4 groups"
    summary = page.locator("#alert-summary").inner_text()
    assert summary.startswith("2 groups with an open alert: 2 waiting for a coordinator")
    page.screenshot(path=str(OUT / "dashboard-triage.png"), full_page=True)

    form = page.get_by_role("search", name="Filter groups")
    form.get_by_label("Watch").check()
    form.get_by_label("At risk").check()
    form.get_by_role("button", name="Filter").click()
    page.wait_for_url("**level=at_risk**")
    assert _names(page, "triage") == ["Circle 7 — Founders", "Circle 9 — Product"]
    empty = page.locator("#gone-quiet-section .empty").inner_text()
    assert empty == "No dormant groups match these filters."

    page.goto(f"{base}/programs/{seed.PROGRAM_A}")
    form.get_by_label("Alert").select_option("false")
    form.get_by_role("button", name="Filter").click()
    page.wait_for_url("**acknowledged=false**")
    assert _names(page, "triage") == ["Circle 7 — Founders"]
    assert _names(page, "gone-quiet") == ["Circle 3 — Growth"]

    form.get_by_label("Alert").select_option("")
    form.get_by_label("Group name").fill("hIrInG")
    form.get_by_role("button", name="Filter").click()
    page.wait_for_url("**q=hIrInG**")
    assert _names(page, "triage") == ["Circle 1 — Hiring"]
    assert form.get_by_label("Group name").input_value() == "hIrInG"

    page.goto(f"{base}/programs/{seed.PROGRAM_A}")
    form.get_by_label("Coordinator").select_option(label="Ana Coordinator")
    form.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**coordinator={seed.COORD_1}**")
    assert _names(page, "triage") == ["Circle 7 — Founders", "Circle 1 — Hiring"]
    assert page.locator("#triage tbody tr td").last.inner_text() == "Ana Coordinator"
    form.get_by_label("Coordinator").select_option(label=f"Coordinator {seed.COORD_2[:8]}")
    form.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**coordinator={seed.COORD_2}**")
    assert _names(page, "triage") == ["Circle 9 — Product", "Circle 4 — Fundraising"]


def test_caseload_pages_show_totals_and_reach_every_group(served, page):  # noqa: F811
    base, secrets = served
    page.goto(f"{base}/login?token={secrets['ops']}")
    page.goto(f"{base}/caseload")
    total = 5 + EXTRA  # every group but the dormant one, which is listed apart
    assert page.locator("#triage-count").inner_text() == f"Showing 1–50 of {total} groups"
    first = _names(page, "triage")
    assert first[:2] == ["Mentors West", "Circle 7 — Founders"] and len(first) == 50
    page.get_by_role("link", name="Next").first.click()
    assert page.locator("#triage-count").inner_text() == f"Showing 51–{total} of {total} groups"
    rest = _names(page, "triage")
    assert len(rest) == total - 50 and not set(rest) & set(first)
    page.get_by_role("link", name="Previous").click()
    assert _names(page, "triage") == first


def test_a_coordinator_token_sees_only_its_groups(served, page):  # noqa: F811
    base, secrets = served
    page.goto(f"{base}/login?token={secrets['ana']}")
    page.get_by_role("link", name="Caseload").click()
    assert page.locator("h1").inner_text() == "My caseload"
    assert _names(page, "triage") == ["Circle 7 — Founders", "Circle 1 — Hiring"]
    assert _names(page, "gone-quiet") == ["Circle 3 — Growth"]
    assert page.get_by_label("Coordinator").count() == 0
    page.screenshot(path=str(OUT / "dashboard-caseload.png"), full_page=True)

    page.goto(f"{base}/programs/{seed.PROGRAM_A}")
    assert "Circle 9 — Product" not in page.locator("main").inner_text()
    other = page.goto(f"{base}/groups/{seed.gid(3)}")  # Circle 9: COORD_2's
    assert other.status == 404
    assert page.locator(".message").inner_text() == "No such group."
    mine = page.goto(f"{base}/groups/{seed.gid(1)}")
    assert mine.status == 200
    page.goto(f"{base}/alerts")
    alerts = page.locator("main").inner_text()
    assert "Circle 7 — Founders" in alerts and "Mentors West" not in alerts

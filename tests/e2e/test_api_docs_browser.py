"""Swagger UI (``/docs``) and ReDoc (``/redoc``) in a real browser with no network but the
API's own origin: every script, stylesheet and font they need comes from this server.

Uses the dashboard browser test's server and chromium fixtures (Debian chromium, no browser
download; without it the test skips locally and fails under CI=true). Screenshots land in
``test-output/``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.e2e.test_dashboard_browser import OUT, dashboard, page  # noqa: F401 (fixtures)

WAIT_MS = 30_000


def _only_this_origin(page, base: str) -> tuple[list[str], list[str]]:  # noqa: F811
    """Abort every request to another origin. Returns the lists that fill with the URLs
    refused and with the page's console errors (a CSP violation is one)."""
    own = urlsplit(base).netloc
    refused: list[str] = []
    errors: list[str] = []

    def route(intercepted) -> None:
        url = intercepted.request.url
        if urlsplit(url).netloc == own:
            intercepted.continue_()
        else:
            refused.append(url)
            intercepted.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return refused, errors


def test_swagger_ui_lists_the_operations_with_the_network_blocked(dashboard, page):  # noqa: F811
    base, _ = dashboard
    refused, errors = _only_this_origin(page, base)
    page.goto(f"{base}/docs")
    ingest = page.locator(".opblock-post").filter(has=page.locator('[data-path="/v1/attendance"]'))
    ingest.wait_for(timeout=WAIT_MS)
    summary = ingest.locator(".opblock-summary").first
    assert "POST" in summary.inner_text()
    assert "Post one attendance message" in summary.inner_text()
    assert page.locator(".opblock").count() >= 10
    assert page.get_by_role("button", name="Authorize").is_visible()
    page.screenshot(path=str(OUT / "api-docs-swagger.png"), full_page=False)
    assert refused == []
    assert errors == []


def test_redoc_lists_the_operations_and_message_schemas_with_the_network_blocked(
    dashboard,  # noqa: F811
    page,  # noqa: F811
):
    base, _ = dashboard
    refused, errors = _only_this_origin(page, base)
    page.goto(f"{base}/redoc")
    heading = page.get_by_role(
        "heading", name="Post one attendance message or a JSON array of them"
    )
    heading.wait_for(timeout=WAIT_MS)
    assert heading.is_visible()
    assert page.get_by_text("/v1/attendance").count() >= 1
    assert page.get_by_text("peerpulse.ingest.session.held.v1").count() >= 1
    assert page.get_by_text("bearer", exact=False).count() >= 1
    page.screenshot(path=str(OUT / "api-docs-redoc.png"), full_page=False)
    assert refused == []
    # The page's policy keeps ReDoc's "powered by" logo (a CDN image) from loading at all;
    # nothing else may be refused by it.
    assert all("cdn.redoc.ly" in e and "Content Security Policy" in e for e in errors), errors

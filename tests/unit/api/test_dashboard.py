"""Dashboard pages: session cookie sign-in, program scoping, escaping, offline assets."""

from __future__ import annotations

from api.dashboard.charts import risk_chart
from tests.unit.api import seed


def _sign_in(client, secret):
    response = client.get(f"/login?token={secret}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_pages_without_a_token_ask_to_sign_in(client):
    for path in ("/", f"/programs/{seed.PROGRAM_A}", f"/groups/{seed.gid(1)}", "/alerts"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert 'name="token"' in response.text and "text/html" in response.headers["content-type"]


def test_invalid_login_is_401_and_logout_clears_the_cookie(client, tokens):
    assert client.get("/login?token=ppt_bad_bad").status_code == 401
    _sign_in(client, tokens["ops"])
    assert client.get("/").status_code == 200
    client.get("/logout")
    assert client.get("/").status_code == 401


def test_ingest_token_cannot_read_pages(client, tokens):
    _sign_in(client, tokens["ingest"])
    assert client.get("/").status_code == 403


def test_coordinator_pages_are_limited_to_its_programs(client, tokens):
    _sign_in(client, tokens["coord"])
    overview = client.get("/").text
    assert "Founders 2025" in overview and "Engineering mentors" not in overview
    assert client.get(f"/programs/{seed.PROGRAM_B}").status_code == 404
    assert client.get(f"/groups/{seed.gid(6)}").status_code == 404
    assert "Mentors West" not in client.get("/alerts").text


def test_program_page_puts_saveable_groups_first_and_dormant_ones_apart(client, tokens):
    _sign_in(client, tokens["ops"])
    page = client.get(f"/programs/{seed.PROGRAM_A}").text
    assert page.index("Circle 7 — Founders") < page.index("Circle 9 — Product")
    assert page.index("Circle 9 — Product") < page.index("Circle 1 — Hiring")
    quiet = page.index('id="gone-quiet-h"')
    assert page.index("Circle 1 — Hiring") < quiet < page.index("Circle 3 — Growth")
    assert '<svg id="risk-chart"' in page and "<caption>" in page
    assert "No session for 19 days: weekly cadence" in page


def test_group_page_shows_names_heatmap_and_history(client, tokens):
    _sign_in(client, tokens["ops"])
    page = client.get(f"/groups/{seed.gid(1)}").text
    assert 'id="heatmap"' in page and "Member A" in page and "Absent" in page
    assert 'id="history"' in page and 'id="commitments"' in page


def test_an_unbound_reader_sees_whose_name_an_intervention_is_logged_under(client, tokens):
    """Not a bare UUID: the group's coordinator by name, else "Coordinator <id prefix>"."""
    _sign_in(client, tokens["ops"])
    named = client.get(f"/groups/{seed.gid(1)}").text  # COORD_1's, named in the directory
    assert "Logged for the group's coordinator, Ana Coordinator." in named
    unnamed = client.get(f"/groups/{seed.gid(3)}").text  # COORD_2's: no name on record
    assert f"Logged for the group's coordinator, Coordinator {seed.COORD_2[:8]}." in unnamed


def test_unknown_or_malformed_ids_are_404_pages(client, tokens):
    _sign_in(client, tokens["ops"])
    assert client.get(f"/groups/{seed.gid(42)}").status_code == 404
    assert client.get("/groups/nope").status_code == 404
    assert client.get("/programs/nope").status_code == 404


def test_acknowledge_form_records_comment_and_redirects(client, tokens):
    _sign_in(client, tokens["coord"])
    response = client.post("/alerts/al-1/ack", content=b"comment=On+it+%3Cb%3E",
                           headers={"content-type": "application/x-www-form-urlencoded"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    page = client.get("/alerts").text
    assert "On it &lt;b&gt;" in page and "On it <b>" not in page
    assert client.post("/alerts/al-4/ack", content=b"comment=x").status_code == 404


def test_pages_outside_the_tokens_programs_answer_exactly_like_missing_ones(client, tokens):
    _sign_in(client, tokens["coord"])
    pairs = [
        (f"/groups/{seed.gid(6)}", f"/groups/{seed.gid(42)}"),
        (f"/programs/{seed.PROGRAM_B}", "/programs/c0000000-0000-4000-8000-00000000000c"),
    ]
    for hidden, missing in pairs:
        seen, absent = client.get(hidden), client.get(missing)
        assert (seen.status_code, seen.text) == (absent.status_code, absent.text), hidden
        assert seen.status_code == 404
    seen = client.post("/alerts/al-4/ack", content=b"comment=x")
    absent = client.post("/alerts/al-404/ack", content=b"comment=x")
    assert (seen.status_code, seen.text) == (absent.status_code, absent.text)
    assert seen.status_code == 404


def test_static_assets_are_served_locally_and_pages_use_no_cdn(client, tokens):
    assert "text/css" in client.get("/static/dashboard.css").headers["content-type"]
    assert client.get("/static/dashboard.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    _sign_in(client, tokens["ops"])
    page = client.get(f"/programs/{seed.PROGRAM_A}").text
    assert "http://" not in page and "https://" not in page


def test_chart_escapes_week_labels_and_handles_no_data():
    assert "No weekly history" in risk_chart([])
    svg = risk_chart([{"week": "<script>", "level": "at_risk", "groups": 2}])
    assert "<script>" not in svg and "&lt;script&gt;" in svg

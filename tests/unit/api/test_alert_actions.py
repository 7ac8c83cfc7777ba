"""Acting on alerts through the API, the dashboard and signed links (issue 14, item 3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from infra.contract.inbound.ids import PEERPULSE_IDS
from tests.unit.api import seed
from tests.unit.api.conftest import bearer

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _sent(publisher) -> list[dict]:
    return [json.loads(value) for _, value, _ in publisher.sent]


def _sign_in(client, secret):
    assert client.get(f"/login?token={secret}", follow_redirects=False).status_code == 303


# -- the API -------------------------------------------------------------------------
def test_unack_puts_an_acknowledged_alert_back_and_keeps_its_comment(client, tokens):
    auth = bearer(tokens["coord"])
    acked = client.post("/v1/alerts/al-1/ack", json={"comment": "Calling Ana"}, headers=auth)
    assert acked.json()["status"] == "acknowledged"
    back = client.post("/v1/alerts/al-1/unack", headers=auth)
    assert back.status_code == 200, back.text
    body = back.json()
    assert (body["status"], body["acknowledged_by"], body["ack_comment"]) == (
        "raised",
        None,
        "Calling Ana",
    )  # fmt: skip  (the seeded alert was never delivered: no escalation clock)
    again = client.post("/v1/alerts/al-1/unack", headers=auth)
    assert again.status_code == 409 and again.json()["error"]["field"] == "alert_id"
    assert client.post("/v1/alerts/al-4/unack", headers=auth).status_code == 404  # program B


def test_snooze_after_an_ack_keeps_the_comment(client, tokens):
    auth = bearer(tokens["coord"])
    client.post("/v1/alerts/al-1/ack", json={"comment": "Meeting Friday"}, headers=auth)
    until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    snoozed = client.post("/v1/alerts/al-1/snooze", json={"until": until}, headers=auth)
    assert snoozed.status_code == 200, snoozed.text
    body = snoozed.json()
    assert (body["status"], body["ack_comment"]) == ("snoozed", "Meeting Friday")
    assert body["snoozed_until"].startswith(until[:16])
    listed = client.get("/v1/alerts?status=snoozed", headers=auth).json()["items"]
    assert [(a["alert_id"], a["ack_comment"]) for a in listed] == [("al-1", "Meeting Friday")]


def test_snooze_refuses_a_past_moment_and_an_unknown_alert(client, tokens):
    auth = bearer(tokens["coord"])
    past = client.post("/v1/alerts/al-1/snooze", json={"until": "2020-01-01T00:00:00Z"},
                       headers=auth)  # fmt: skip
    assert past.status_code == 422 and past.json()["error"]["field"] == "body.until"
    missing = client.post("/v1/alerts/nope/snooze", json={"until": "2999-01-01T00:00:00Z"},
                          headers=auth)  # fmt: skip
    assert missing.status_code == 404


def test_an_intervention_is_published_for_ingest_naming_peerpulse_ids(client, tokens, publisher):
    auth = bearer(tokens["coord"])
    answer = client.post(f"/v1/groups/{seed.gid(1)}/interventions", headers=auth,
                         json={"kind": "call", "note": "Talked to the facilitator",
                               "coordinator": seed.COORD_1})  # fmt: skip
    assert answer.status_code == 202, answer.text
    (message,) = _sent(publisher)
    assert message["id"] == answer.json()["message_id"]
    assert (message["type"], message["source"]) == (
        "peerpulse.ingest.intervention.logged.v1", PEERPULSE_IDS,
    )  # fmt: skip
    assert message["data"] == {"program": str(seed.PROGRAM_A), "group": seed.gid(1),
                               "coordinator": seed.COORD_1, "kind": "call",
                               "note": "Talked to the facilitator"}  # fmt: skip


def test_an_intervention_needs_a_coordinator_a_known_kind_and_a_visible_group(
    client, tokens, publisher
):
    auth = bearer(tokens["coord"])
    url = f"/v1/groups/{seed.gid(1)}/interventions"
    nobody = client.post(url, json={"kind": "call"}, headers=auth)
    assert nobody.status_code == 422 and nobody.json()["error"]["field"] == "coordinator"
    odd = client.post(url, json={"kind": "dance", "coordinator": seed.COORD_1}, headers=auth)
    assert odd.status_code == 422 and "kind" in odd.json()["error"]["field"]
    hidden = client.post(f"/v1/groups/{seed.gid(6)}/interventions", headers=auth,
                         json={"kind": "call", "coordinator": seed.COORD_2})  # fmt: skip
    assert hidden.status_code == 404
    assert publisher.sent == []


def test_a_coordinator_bound_token_logs_for_its_own_coordinator_only(client, container, publisher):
    _, secret = container.token_store.create("ana", ["read"], [seed.PROGRAM_A],
                                             coordinator=seed.COORD_1)  # fmt: skip
    url = f"/v1/groups/{seed.gid(1)}/interventions"
    ok = client.post(url, json={"kind": "meeting"}, headers=bearer(secret))
    assert ok.status_code == 202 and ok.json()["coordinator"] == seed.COORD_1
    other = client.post(url, json={"kind": "meeting", "coordinator": seed.COORD_2},
                        headers=bearer(secret))  # fmt: skip
    assert other.status_code == 422
    assert [m["data"]["coordinator"] for m in _sent(publisher)] == [seed.COORD_1]


# -- signed links ----------------------------------------------------------------------
def _token(container, action: str, alert: str = "al-1", now: datetime | None = None) -> str:
    signer = container.alert_reads.signer
    return signer.token(alert, action, seed.COORD_1, now or datetime.now(UTC))


def test_a_link_confirms_on_get_acts_once_on_post_and_is_refused_after(client, container):
    token = _token(container, "ack")
    shown = client.get(f"/a/{token}")
    assert shown.status_code == 200 and "Circle 7 — Founders" in shown.text
    assert f'action="/a/{token}"' in shown.text and 'method="post"' in shown.text
    assert container.alert_store.get("al-1").status == "delivered"  # a GET changes nothing
    done = client.post(f"/a/{token}")
    assert done.status_code == 200 and "Acknowledged" in done.text
    alert = container.alert_store.get("al-1")
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", f"link:{seed.COORD_1}")
    for method in (client.post, client.get):
        again = method(f"/a/{token}")
        assert again.status_code == 410 and "already used" in again.text
    assert [e.event for e in container.alert_store.history("al-1")] == ["acknowledged"]


def test_an_expired_or_altered_link_is_refused_with_a_page(client, container):
    old = _token(container, "ack", now=datetime.now(UTC) - timedelta(days=8))
    expired = client.post(f"/a/{old}")
    assert expired.status_code == 410 and "expired" in expired.text
    token = _token(container, "ack")
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = client.post(f"/a/{altered}")
    assert refused.status_code == 403 and "not valid" in refused.text
    assert container.alert_store.get("al-1").status == "delivered"


def test_snooze_link_snoozes_a_week(client, container):
    assert client.post(f"/a/{_token(container, 'snooze_week')}").status_code == 200
    alert = container.alert_store.get("al-1")
    left = alert.snoozed_until - datetime.now(UTC)
    assert alert.status == "snoozed" and timedelta(days=6, hours=23) < left <= timedelta(days=7)


def test_reached_out_link_logs_the_intervention_chosen_and_acknowledges(
    client, container, publisher
):
    token = _token(container, "reached_out")
    assert 'name="kind"' in client.get(f"/a/{token}").text
    done = client.post(f"/a/{token}", content=b"kind=call&note=Rang+them", headers=FORM)
    assert done.status_code == 200, done.text
    (message,) = _sent(publisher)
    assert message["data"]["kind"] == "call" and message["data"]["note"] == "Rang them"
    assert message["data"]["coordinator"] == seed.COORD_1
    alert = container.alert_store.get("al-1")
    assert (alert.status, alert.ack_comment) == ("acknowledged", "Rang them")


def test_group_ended_link_logs_ended_and_resolves_the_alert(client, container, publisher):
    assert client.post(f"/a/{_token(container, 'ended')}").status_code == 200
    assert [m["data"]["kind"] for m in _sent(publisher)] == ["ended"]
    assert container.alert_store.get("al-1").status == "resolved"


# -- the dashboard ---------------------------------------------------------------------
def test_alerts_page_is_one_block_per_group_with_the_program_pages_counts(client, tokens):
    _sign_in(client, tokens["ops"])
    page = client.get("/alerts").text
    blocks = page.split('<section class="alert-group"')[1:]
    assert len(blocks) == 3  # Circle 7 (two alerts), Circle 3, Mentors West
    circle7 = next(b for b in blocks if "Circle 7 — Founders" in b)
    assert "(2 open alerts, 1 waiting)" in circle7 and circle7.count("<tr>") == 3
    assert "newest first" in page.lower() and 'id="alerts-definition"' in page
    program = client.get(f"/programs/{seed.PROGRAM_A}").text
    of_a = client.get(f"/alerts?program={seed.PROGRAM_A}").text
    assert of_a.count('<section class="alert-group"') == 2
    summary = of_a.split('id="alert-summary"')[1].split("</p>")[0]
    assert summary.split("</a>")[1] in program  # same waiting/acknowledged counts
    assert summary.split("</a>")[0].split(">")[-1] in program  # same number of groups


def test_dashboard_ack_then_snooze_keeps_the_comment_and_unack_brings_it_back(client, tokens):
    _sign_in(client, tokens["coord"])
    client.post("/alerts/al-1/ack", content=b"comment=Calling+today&next=/alerts",
                headers=FORM, follow_redirects=False)  # fmt: skip
    day = (datetime.now(UTC) + timedelta(days=4)).date().isoformat()
    moved = client.post("/alerts/al-1/snooze", content=f"until={day}&next=/groups/{seed.gid(1)}",
                        headers=FORM, follow_redirects=False)  # fmt: skip
    assert moved.status_code == 303 and moved.headers["location"] == f"/groups/{seed.gid(1)}"
    page = client.get(f"/groups/{seed.gid(1)}").text
    assert "Calling today" in page and f'until <time datetime="{day}' in page
    client.post("/alerts/al-1/unack", content=b"next=/alerts", headers=FORM)
    page = client.get("/alerts").text
    assert "earlier: “Calling today”" in page
    bad = client.post("/alerts/al-1/snooze", content=b"until=2020-01-01", headers=FORM)
    assert bad.status_code == 400 and "future" in bad.text
    assert client.post("/alerts/al-4/unack", headers=FORM).status_code == 404


def test_dashboard_intervention_form_publishes_for_the_groups_coordinator(
    client, tokens, publisher
):
    _sign_in(client, tokens["ops"])
    done = client.post(f"/groups/{seed.gid(1)}/interventions",
                       content=b"kind=meeting&note=Restart+session", headers=FORM,
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == f"/groups/{seed.gid(1)}?logged=meeting"
    (message,) = _sent(publisher)
    assert message["data"]["coordinator"] == seed.COORD_1 and message["data"]["kind"] == "meeting"
    assert client.post(f"/groups/{seed.gid(1)}/interventions", content=b"kind=nap",
                       headers=FORM).status_code == 422  # fmt: skip


def test_program_page_shows_flagged_reached_out_recovered(client, tokens, sqlite_settings):
    from projections.readmodel import tables as T
    from projections.readmodel.batch import Batch
    from projections.readmodel.store import ReadModel

    batch = Batch()
    seed._insert(batch, T.PROGRAM_EPISODES, program_id=str(seed.PROGRAM_A), flagged=9,
                 reached_out=6, recovered=4, reached_out_recovered=3)  # fmt: skip
    model = ReadModel(sqlite_settings).open()
    model.write(batch)
    model.close()
    _sign_in(client, tokens["ops"])
    page = client.get(f"/programs/{seed.PROGRAM_A}").text
    assert "<strong>9</strong> flagged" in page and "<strong>6</strong> reached out" in page
    assert "<strong>4</strong> recovered" in page and "3 of the recovered" in page


def test_alerts_are_grouped_by_group_newest_raised_first_not_by_update_time():
    from api.dashboard.alerts_page import by_group

    def a(aid, group, raised, updated):
        return {"alert_id": aid, "group_id": group, "raised_at": raised, "updated_at": updated}

    alerts = [a("old-but-busy", "g1", "2026-01-01", "2026-03-01"),
              a("newest", "g2", "2026-02-10", "2026-02-10"),
              a("middle", "g1", "2026-02-01", "2026-02-01"),
              a("oldest-g2", "g2", "2025-12-01", "2026-03-02")]  # fmt: skip
    grouped = by_group(alerts)
    assert [(g, [x["alert_id"] for x in mine]) for g, mine in grouped] == [
        ("g2", ["newest", "oldest-g2"]), ("g1", ["middle", "old-but-busy"]),
    ]  # fmt: skip


def test_snooze_refuses_more_than_a_year_even_at_the_end_of_the_calendar(client, tokens):
    auth = bearer(tokens["coord"])
    for until in ("9999-12-31T23:59:59-14:00", "2999-01-01T00:00:00Z"):
        far = client.post("/v1/alerts/al-1/snooze", json={"until": until}, headers=auth)
        assert far.status_code == 422 and "366 days" in far.json()["error"]["message"], until
    _sign_in(client, tokens["coord"])
    page = client.post("/alerts/al-1/snooze", content=b"until=9999-12-31", headers=FORM)
    assert page.status_code == 400 and "within a year" in page.text

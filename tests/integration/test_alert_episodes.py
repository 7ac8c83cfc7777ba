"""A program's alerts through the real router, store, app-backed directory (with its vault)
and SMTP sink: one message per change (an escalation is never two e-mails), the daily
digest lists each change once grouped by group, and a lapse warning names the member."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from consumers.alerts.channels.mail import message_id
from consumers.alerts.config import policy_config
from consumers.alerts.intents import encode
from consumers.alerts.model import AlertIntent
from consumers.alerts.router import AlertRouter
from infra.settings import AlertSettings
from peerpulse.build import build
from tests.unit.alerts.factories import FakeClock, health, lapsed

WEDNESDAY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
GROUPS = ("Tuesday Circle", "Wednesday Walkers", "Thursday Readers")


def _program(settings, clock):
    """A program whose coordinator Ana (Berlin, digest left at its default) runs three
    groups; Maria Lopez has a name in the vault, the other member only a pseudonym."""
    c = build(
        settings.model_copy(update={"alerts": AlertSettings(attempts=2)}),
        alert_clock=clock,
        alert_sleeper=lambda s: None,
    )
    app, now = c.app, clock()
    program, lead, ana = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    app.launch_program(program, "Founders Circle", "Acme", "weekly", now)
    app.assign_coordinator(program, lead, "Lee", "lee@example.org", "Europe/Berlin", "email", now)
    app.assign_coordinator(program, ana, "Ana", "ana@example.org", "Europe/Berlin", "email", now)
    app.set_lead_coordinator(program, lead, now)
    groups = {}
    for name in GROUPS:
        gid = uuid.uuid4()
        app.form_group(gid, program, name, "weekly", "ship", now, coordinator_id=ana)
        groups[name] = str(gid)
    maria, unnamed = uuid.uuid4(), uuid.uuid4()
    app.register_member(maria, "p-1", "Maria Lopez", "maria@example.org", now)
    app.register_member(unnamed, "peer-7", "", "", now)
    app.join_member(uuid.UUID(groups["Tuesday Circle"]), maria, "peer", now)
    app.join_member(uuid.UUID(groups["Wednesday Walkers"]), unnamed, "peer", now)
    return c, str(program), str(ana), groups, str(maria), str(unnamed)


def _router(c, clock) -> AlertRouter:
    cfg = replace(policy_config(c.settings.alerts), ops=False)
    return AlertRouter(None, c.alert_store, c.alert_directory, cfg, clock)


def _send(router: AlertRouter, intent: AlertIntent, program: str) -> None:
    router.handle(encode(replace(intent, program_id=program)))


def _texts(smtp) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m in smtp.messages]


def test_a_programs_alerts_are_one_message_per_change_with_a_digest_and_named_lapses(
    store_settings, smtp_server
):
    clock = FakeClock(WEDNESDAY)
    settings = store_settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    c, program, ana, g, maria, unnamed = _program(settings, clock)
    router, deliverer = _router(c, clock), c.alert_deliverer
    tuesday, wednesday, thursday = (g[n] for n in GROUPS)

    # urgent, told at once although Ana reads a daily digest: entering at_risk, two lapses
    _send(router, health("group-at-risk", "at_risk", "watch", 5, clock(), tuesday), program)
    _send(router, lapsed(3, maria, 6, tuesday, clock()), program)
    _send(router, lapsed(3, unnamed, 4, wednesday, clock()), program)
    deliverer.run_once()
    assert [m["Subject"] for m in smtp_server.messages] == [
        "Tuesday Circle is at risk of quietly fading",
        "Maria Lopez has missed 3 sessions in a row in Tuesday Circle",
        "peer-7 has missed 3 sessions in a row in Wednesday Walkers",
    ]
    assert {m["To"] for m in smtp_server.messages} == {"ana@example.org"}
    lapse_text = _texts(smtp_server)[2]
    assert "a member of this group" not in lapse_text
    assert "Suggested next step: Reach out personally this week" in lapse_text

    # the day goes on: an escalation, a new at-risk group, a dormant one, an easing
    at = clock.advance(hours=2)
    _send(router, health("group-dormant", "dormant", "at_risk", 9, at, tuesday), program)
    _send(router, health("group-at-risk", "at_risk", "watch", 5, at, wednesday), program)
    _send(router, health("group-dormant", "dormant", "healthy", 3, at, thursday), program)
    deliverer.run_once()
    assert len(smtp_server.messages) == 4, "only entering at_risk is told at once"
    assert smtp_server.messages[3]["Subject"] == "Wednesday Walkers is at risk of quietly fading"
    eased = health("group-recovered", "watch", "at_risk", 8, clock.advance(hours=3), wednesday)
    _send(router, eased, program)
    clock.advance(hours=5)  # 21:00 Berlin: quiet, and not the digest hour
    deliverer.run_once()
    assert len(smtp_server.messages) == 4

    # Thursday 08:00 Berlin (07:00 UTC): the digest, once
    clock.now = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    deliverer.run_once()
    deliverer.run_once()
    assert len(smtp_server.messages) == 5
    digest = smtp_server.messages[4]
    assert digest["Message-ID"] == message_id(f"digest:{ana}:2026-03-05")
    assert digest["Subject"] == "Your peerpulse digest: 3 updates on 3 groups"
    body = _texts(smtp_server)[4]
    headlines = [
        "Getting worse: Tuesday Circle has gone quiet (dormant) (was at risk)",
        "Thursday Readers has gone quiet (dormant)",
        "Easing: Wednesday Walkers is back on watch (was at risk)",
    ]
    for line in headlines:
        assert body.count(line) == 1, (line, body)
    headings = ["== Thursday Readers", "== Tuesday Circle", "== Wednesday Walkers"]
    assert [body.index(h) for h in headings] == sorted(body.index(h) for h in headings)
    assert (
        body.index("== Tuesday Circle")
        < body.index(headlines[0])
        < body.index("== Wednesday Walkers")
        < body.index(headlines[2])
    )

    # every change told exactly once, across all messages
    told = [m["Subject"] for m in smtp_server.messages[:4]] + headlines
    assert len(told) == len(set(told)) == 7
    everything = "\n".join(_texts(smtp_server))
    assert everything.count("Tuesday Circle has gone quiet") == 1, "no duplicate escalation"

    # one alert per group episode, kept open through escalation and easing
    health_alerts = [a for a in c.alert_store.list() if a.alert_key.startswith("health:")]
    assert sorted((a.group_id, a.kind, a.severity) for a in health_alerts) == sorted(
        [
            (tuesday, "group-dormant", "warning"),
            (wednesday, "group-watch", "info"),
            (thursday, "group-dormant", "warning"),
        ]
    )

    # a restart sends nothing again
    c.close()
    again = build(settings, alert_clock=clock, alert_sleeper=lambda s: None)
    again.alert_deliverer.run_once()
    assert len(smtp_server.messages) == 5
    again.close()


def test_a_digest_cut_short_by_a_crash_is_sent_again_whole_under_the_same_key(
    sqlite_settings, smtp_server, monkeypatch
):
    clock = FakeClock(WEDNESDAY)
    settings = sqlite_settings.model_copy(update={"smtp_port": smtp_server.port})
    c, program, ana, g, _, _ = _program(settings, clock)
    router = _router(c, clock)
    for version, name in enumerate(GROUPS):
        _send(router, health("group-dormant", "dormant", "at_risk", version, clock(), g[name]),
              program)  # fmt: skip
    clock.now = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    store = c.alert_store

    def crash(*args, **kwargs):
        raise SystemExit("killed between the send and its settlement")

    monkeypatch.setattr(store, "settle_all", crash)
    with pytest.raises(SystemExit):
        c.alert_deliverer.run_once()
    monkeypatch.undo()
    c.close()
    again = build(settings, alert_clock=clock, alert_sleeper=lambda s: None)
    again.alert_deliverer.run_once()
    again.alert_deliverer.run_once()
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == message_id(f"digest:{ana}:2026-03-05")
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
    assert all(n in _texts(smtp_server)[1] for n in GROUPS)
    assert again.alert_store.pending_count() == 0
    assert clock() - WEDNESDAY < timedelta(days=1)
    again.close()

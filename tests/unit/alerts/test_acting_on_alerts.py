"""People acting on an alert: ack comments survive a snooze and an un-acknowledge, a
person can close an alert, and every open alert's message carries its action links."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from consumers.alerts import lifecycle
from consumers.alerts.messages import Item, Links, render
from consumers.alerts.model import Alert
from consumers.alerts.policy import PolicyConfig
from infra.links import LinkSigner
from tests.unit.alerts.factories import GROUP, MEMBER, NOON_ISH, PROGRAM, routing

SIGNER = LinkSigner(b"unit-test-link-secret-long-enough")


def _alert(kind: str = "group-at-risk", status: str = "delivered", **kw) -> Alert:
    base = dict(alert_id="al-1", alert_key=f"health:{GROUP}", kind=kind, program_id=PROGRAM,
                group_id=GROUP, member_id=None, status=status, raised_at=NOON_ISH,
                updated_at=NOON_ISH, gravity=2, detail={"level": "at_risk"},
                notified_at=NOON_ISH)  # fmt: skip
    return Alert(**{**base, **kw})


def test_a_snooze_after_an_ack_keeps_the_comment_and_ends_acknowledged_without_escalating():
    acked = lifecycle.acknowledge(_alert(), "ana", "Calling Tuesday", NOON_ISH).alerts[0]
    until = NOON_ISH + timedelta(days=2)
    snoozed = lifecycle.snooze(acked, until, "cli", NOON_ISH).alerts[0]
    assert (snoozed.status, snoozed.acknowledged_by, snoozed.ack_comment) == (
        "snoozed", "ana", "Calling Tuesday",
    )  # fmt: skip
    woke = lifecycle.tick(snoozed, routing(), until, PolicyConfig()).alerts[0]
    assert (woke.status, woke.ack_comment, woke.escalate_at) == (
        "acknowledged", "Calling Tuesday", None,
    )  # fmt: skip


def test_an_unacknowledged_snooze_ends_waiting_with_a_reminder():
    until = NOON_ISH + timedelta(days=2)
    snoozed = lifecycle.snooze(_alert(), until, "cli", NOON_ISH).alerts[0]
    d = lifecycle.tick(snoozed, routing(), until, PolicyConfig())
    assert d.alerts[0].status == "delivered" and d.alerts[0].escalate_at is not None
    assert [n.purpose for n in d.notices] == ["reminder"]


def test_unacknowledge_restarts_the_clock_and_keeps_the_comment_on_the_alert_and_in_the_log():
    acked = lifecycle.acknowledge(_alert(), "ana", "On it", NOON_ISH).alerts[0]
    d = lifecycle.unacknowledge(acked, "lee", NOON_ISH + timedelta(hours=1), routing(days=3))
    back = d.alerts[0]
    assert (back.status, back.acknowledged_by, back.ack_comment) == ("delivered", None, "On it")
    assert back.escalate_at == NOON_ISH + timedelta(days=5, hours=1)  # Wed + 3 business days
    assert (d.log[0].event, d.log[0].by, d.log[0].note) == ("unacknowledged", "lee",
                                                             "was: ana: On it")  # fmt: skip
    with pytest.raises(lifecycle.LifecycleError, match="not acknowledged"):
        lifecycle.unacknowledge(back, "lee", NOON_ISH)


def test_a_person_closes_an_alert_and_its_pending_notices_are_cancelled():
    d = lifecycle.close(_alert(), "link:ana", "the group has ended", NOON_ISH)
    assert d.alerts[0].status == "resolved" and d.alerts[0].resolved_at == NOON_ISH
    assert d.cancel_pending == ["al-1"]
    with pytest.raises(lifecycle.LifecycleError, match="already resolved"):
        lifecycle.close(d.alerts[0], "x", "", NOON_ISH)


def _links_of(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.startswith("- ") and "/a/" in line:
            words, url = line[2:].rsplit(": ", 1)
            out[words] = url
    return out


def test_a_message_carries_a_working_link_per_action_for_its_reader():
    r = routing()
    msg = render([Item(_alert(), "raised", r, "")], r.coordinator, "http://pp.example",
                 Links(SIGNER, NOON_ISH))  # fmt: skip
    links = _links_of(msg.text)
    assert list(links) == ["Acknowledge", "Snooze 1 week", "I reached out", "The group has ended"]
    for words, url in links.items():
        parsed = urlparse(url)
        assert (parsed.netloc, parsed.path[:3]) == ("pp.example", "/a/")
        link = SIGNER.open(parsed.path[3:], NOON_ISH)
        assert (link.alert_id, link.recipient) == ("al-1", r.coordinator.coordinator_id), words
    assert all(url in msg.html for url in links.values())
    assert set(msg.items[0]["actions"]) == {"ack", "snooze_week", "reached_out", "ended"}


def test_lapse_messages_offer_no_group_end_and_closing_messages_offer_nothing():
    r = routing()
    lapse = _alert("member-lapsed", member_id=MEMBER, alert_key=f"lapse:{GROUP}:{MEMBER}")
    msg = render([Item(lapse, "raised", r, "Maria")], r.coordinator, "http://x",
                 Links(SIGNER, NOON_ISH))  # fmt: skip
    assert "The group has ended" not in _links_of(msg.text) and "I reached out" in msg.text
    done = replace(_alert(), status="resolved", resolved_at=NOON_ISH)
    msg = render([Item(done, "resolved", r, "")], r.coordinator, "http://x",
                 Links(SIGNER, NOON_ISH))  # fmt: skip
    assert "/a/" not in msg.text and "/a/" not in msg.html


def test_a_digest_has_links_per_entry_and_ends_with_flagged_reached_out_recovered():
    r = routing()
    items = [Item(_alert(), "raised", r, ""),
             Item(_alert("member-lapsed", alert_id="al-2", member_id=MEMBER,
                         alert_key=f"lapse:{GROUP}:{MEMBER}"), "raised", r, "Maria")]  # fmt: skip
    counts = {PROGRAM: {"flagged": 12, "reached_out": 7, "recovered": 5}}
    msg = render(items, r.coordinator, "http://x", Links(SIGNER, NOON_ISH), counts)
    assert msg.text.count("Acknowledge: http://x/a/") == 2
    tail = msg.text.split("== Flagged → reached out → recovered ==")[1]
    assert "Founders Circle: flagged 12 → reached out 7 → recovered 5" in tail
    assert tail.index("flagged 12") < tail.index("— peerpulse")
    assert "Founders Circle: flagged 12 → reached out 7 → recovered 5" in msg.html
    single = render(items[:1], r.coordinator, "http://x", Links(SIGNER, NOON_ISH), counts)
    assert "flagged 12" not in single.text  # only a digest ends with the program's line

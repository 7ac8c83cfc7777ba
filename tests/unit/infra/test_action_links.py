"""Signed action links: what a link says survives the trip, and nothing else passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.links import ACTIONS, LinkRefused, LinkSigner

NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)
SECRET = b"a-test-secret-of-enough-length"


def test_a_link_opens_to_what_it_was_made_for_until_it_expires():
    signer = LinkSigner(SECRET)
    token = signer.token("al-1", "ack", "coord-ana", NOW)
    link = signer.open(token, NOW + timedelta(days=6, hours=23))
    assert (link.alert_id, link.action, link.recipient) == ("al-1", "ack", "coord-ana")
    assert link.expires == NOW + timedelta(days=7)
    with pytest.raises(LinkRefused) as refused:
        signer.open(token, NOW + timedelta(days=7))
    assert refused.value.why == "expired" and "expired on 11 March 2026" in str(refused.value)


def test_each_link_has_its_own_nonce():
    signer = LinkSigner(SECRET)
    first, second = (signer.open(signer.token("al-1", "ack", "c", NOW), NOW) for _ in range(2))
    assert first.nonce != second.nonce


@given(position=st.integers(min_value=0, max_value=400), char=st.sampled_from("AbZ9-_."))
def test_any_altered_character_is_refused_as_tampered(position, char):
    signer = LinkSigner(SECRET)
    token = signer.token("al-1", "snooze_week", "coord-ana", NOW)
    i = position % len(token)
    altered = token[:i] + char + token[i + 1 :]
    if altered == token:
        return
    with pytest.raises(LinkRefused) as refused:
        signer.open(altered, NOW)
    assert refused.value.why == "tampered"


def test_a_link_signed_with_another_secret_or_for_another_action_is_refused():
    token = LinkSigner(b"another-secret-of-enough-length").token("al-1", "ack", "c", NOW)
    with pytest.raises(LinkRefused, match="not one peerpulse made"):
        LinkSigner(SECRET).open(token, NOW)
    body, mac = LinkSigner(SECRET).token("al-1", "ack", "c", NOW).split(".")
    other_body = LinkSigner(SECRET).token("al-1", "ended", "c", NOW).split(".")[0]
    with pytest.raises(LinkRefused):
        LinkSigner(SECRET).open(f"{other_body}.{mac}", NOW)  # a body swapped under a MAC
    for junk in ("", ".", "abc", f"{body}."):
        with pytest.raises(LinkRefused):
            LinkSigner(SECRET).open(junk, NOW)


def test_actions_are_the_four_of_the_issue_and_short_secrets_are_refused():
    assert ACTIONS == ("ack", "snooze_week", "reached_out", "ended")
    with pytest.raises(ValueError, match="unknown action"):
        LinkSigner(SECRET).token("al-1", "delete", "c", NOW)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        LinkSigner(b"short")

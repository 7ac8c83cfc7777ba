"""Text from data becomes header values the e-mail and HTTP headers can carry."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumers.alerts.channels import DeliveryError
from consumers.alerts.channels.headers import header_safe
from consumers.alerts.channels.mail import EmailChannel
from consumers.alerts.channels.webhook import WebhookChannel
from consumers.alerts.messages import Message
from tests.unit.alerts.factories import recipient


def _message(subject: str) -> Message:
    return Message(subject, "text", "<p>html</p>", "https://pulse.example.org/groups/g")


def test_line_breaks_and_control_characters_become_one_space():
    assert header_safe("Tuesday\r\nBcc: eve@example.org") == "Tuesday Bcc: eve@example.org"
    assert header_safe("a\x00b\tc\x1bd\x7fe\x85f\u2028g\u2029h") == "a b c d e f g h"
    assert header_safe("  a \r\n\r\n  b\n") == "a b", "runs collapse, ends are trimmed"


def test_ordinary_and_non_ascii_text_is_left_alone():
    assert header_safe("Café Ünïcode — 東京 Circle") == "Café Ünïcode — 東京 Circle"
    assert header_safe("ana@example.org") == "ana@example.org"


@given(st.text())
def test_any_text_becomes_one_header_the_email_package_accepts(text):
    safe = header_safe(text)
    assert len(safe.splitlines()) <= 1
    mail = EmailMessage()
    mail["Subject"] = safe
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert parsed.keys() == ["Subject"], "the text cannot start a header of its own"


def test_email_subject_from_a_group_name_with_a_line_break_stays_one_header():
    mail = EmailChannel("127.0.0.1", 25, "pulse@example.org").build(
        recipient(), _message("Tuesday\r\nBcc: eve@example.org is at risk"), "k:raised"
    )
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Tuesday Bcc: eve@example.org is at risk"
    assert parsed["Bcc"] is None and parsed["To"] == "ana@example.org"


@pytest.mark.parametrize(
    "contact",
    ["ana@example.org\r\nBcc: eve@example.org", "ana@example.org, eve@example.org", "ana", ""],
)
def test_contact_that_is_not_one_email_address_fails_permanently(contact):
    channel = EmailChannel("127.0.0.1", 25, "pulse@example.org")
    with pytest.raises(DeliveryError) as err:
        channel.send(recipient(address=contact), _message("hello"), "k:raised")
    assert err.value.permanent and "coordinator coord-ana" in str(err.value)


def test_contact_with_a_trailing_line_break_is_still_one_address():
    mail = EmailChannel("127.0.0.1", 25, "pulse@example.org").build(
        recipient(address="ana@example.org\r\n"), _message("hello"), "k:raised"
    )
    assert mail["To"] == "ana@example.org"


def test_webhook_url_with_a_line_break_fails_permanently():
    hook = recipient(channel="webhook", address="https://hooks.example.org/a\r\nX-Evil: 1")
    with httpx.Client() as client, pytest.raises(DeliveryError) as err:
        WebhookChannel(client).send(hook, _message("hello"), "k:raised")
    assert err.value.permanent and "not a usable URL" in str(err.value)

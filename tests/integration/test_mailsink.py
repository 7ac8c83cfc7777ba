"""The demo's mail sink stores real SMTP deliveries as files with an index."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from infra.broker import free_port
from infra.mailsink import read_index, start_mailsink


def test_mail_sent_over_smtp_lands_as_a_file_and_an_index_entry(tmp_path: Path) -> None:
    port = free_port()
    sink = start_mailsink(tmp_path / "mail", "127.0.0.1", port)
    try:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "pp@localhost", "coord@example.org", "Lapse: Ada"
        msg["Message-ID"] = "<lapse-1@peerpulse>"
        msg.set_content("Ada has missed 3 sessions in a row.")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(msg)
    finally:
        sink.stop()
    [entry] = read_index(tmp_path / "mail")
    assert entry["to"] == ["coord@example.org"]
    assert entry["subject"] == "Lapse: Ada"
    assert entry["message_id"] == "<lapse-1@peerpulse>"
    assert "missed 3 sessions" in (tmp_path / "mail" / entry["file"]).read_text()

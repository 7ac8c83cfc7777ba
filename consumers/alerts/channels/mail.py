"""E-mail over SMTP: multipart plain text + HTML, ``Message-ID`` derived from the key.

A resend after a crash carries the same ``Message-ID``, so mail clients and archives can
recognise the duplicate.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from consumers.alerts.channels import DeliveryError
from consumers.alerts.messages import Message
from consumers.alerts.model import Recipient


def message_id(key: str, domain: str = "peerpulse") -> str:
    """A stable RFC 5322 Message-ID for an idempotency key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


class EmailChannel:
    """Sends through one SMTP server (no auth: a local relay or the embedded sink)."""

    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def build(self, to: Recipient, message: Message, key: str) -> EmailMessage:
        """The MIME message (separate so tests can inspect it)."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to.address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(key)
        mail["X-Peerpulse-Idempotency-Key"] = key
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, to: Recipient, message: Message, key: str) -> None:
        """Deliver one e-mail or raise :class:`DeliveryError`."""
        if "@" not in to.address:
            raise DeliveryError(
                f"no e-mail address for coordinator {to.coordinator_id}", permanent=True
            )
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(self.build(to, message, key))
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"SMTP refused {to.address}: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc

"""E-mail over SMTP: multipart plain text + HTML, ``Message-ID`` derived from the key.

A resend after a crash carries the same ``Message-ID``, so mail clients and archives can
recognise the duplicate. Headers built from data go through
:func:`~consumers.alerts.channels.headers.header_safe`; a contact that is not one e-mail
address after that is a permanent failure of that notice.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from consumers.alerts.channels import DeliveryError
from consumers.alerts.channels.headers import header_safe
from consumers.alerts.messages import Message
from consumers.alerts.model import Recipient


def message_id(key: str, domain: str = "peerpulse") -> str:
    """A stable RFC 5322 Message-ID for an idempotency key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def mailbox(to: Recipient) -> Address:
    """The coordinator's contact as exactly one e-mail address, or a permanent
    :class:`DeliveryError` saying why it cannot be used."""
    contact = header_safe(to.address)
    if not contact:
        raise DeliveryError(
            f"no e-mail address for coordinator {to.coordinator_id}", permanent=True
        )
    try:
        address = Address(addr_spec=contact)
    except (ValueError, IndexError, MessageError):
        address = None
    if address is None or not (address.username and address.domain):
        raise DeliveryError(
            f"contact of coordinator {to.coordinator_id} is not one e-mail address",
            permanent=True,
        )
    return address


class EmailChannel:
    """Sends through one SMTP server (no auth: a local relay or the embedded sink)."""

    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def build(self, to: Recipient, message: Message, key: str) -> EmailMessage:
        """The MIME message (separate so tests can inspect it); raises a permanent
        :class:`DeliveryError` when the contact is not one e-mail address."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = mailbox(to)
        mail["Subject"] = header_safe(message.subject)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(key)
        mail["X-Peerpulse-Idempotency-Key"] = header_safe(key)
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, to: Recipient, message: Message, key: str) -> None:
        """Deliver one e-mail or raise :class:`DeliveryError`."""
        mail = self.build(to, message, key)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"SMTP refused {mail['To']}: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc

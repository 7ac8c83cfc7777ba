"""Delivery channels: e-mail (SMTP), webhook (generic JSON or Slack), Alertmanager v2.

Each channel sends one rendered message with a stable idempotency key and raises
:class:`DeliveryError` when the far side did not take it; retries live in the caller.
"""

from __future__ import annotations

from typing import Protocol

from consumers.alerts.messages import Message
from consumers.alerts.model import Recipient


class DeliveryError(Exception):
    """The message was not accepted; ``permanent`` means retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """Sends a message to a coordinator."""

    name: str

    def send(self, to: Recipient, message: Message, key: str) -> None:
        """Deliver or raise :class:`DeliveryError`."""

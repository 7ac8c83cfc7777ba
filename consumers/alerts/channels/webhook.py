"""Webhooks: a generic JSON payload or a Slack-compatible one, with ``Idempotency-Key``.

The key header goes through :func:`~consumers.alerts.channels.headers.header_safe`; a
contact that is not a usable URL is a permanent failure of that notice.
"""

from __future__ import annotations

from typing import Any

import httpx

from consumers.alerts.channels import DeliveryError
from consumers.alerts.channels.headers import header_safe
from consumers.alerts.messages import Message
from consumers.alerts.model import Recipient


def generic_payload(message: Message, key: str) -> dict[str, Any]:
    """The documented JSON body for generic receivers."""
    return {
        "idempotency_key": key,
        "subject": message.subject,
        "text": message.text,
        "link": message.link,
        "alerts": message.items,
    }


def slack_payload(message: Message, key: str) -> dict[str, Any]:
    """A Slack incoming-webhook body: fallback text plus blocks."""
    return {
        "text": message.subject,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": message.text[:2900]}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"<{message.link}|Open the group> · ref `{key}`"}
                ],
            },
        ],
    }


class WebhookChannel:
    """POSTs JSON to the coordinator's webhook URL; 2xx is success, 4xx (but 408/429) is
    permanent, anything else is retried."""

    def __init__(self, client: httpx.Client, slack: bool = False) -> None:
        self.client, self.slack = client, slack
        self.name = "slack" if slack else "webhook"

    def send(self, to: Recipient, message: Message, key: str) -> None:
        """Deliver or raise :class:`DeliveryError`."""
        if not to.address.startswith(("http://", "https://")):
            raise DeliveryError(
                f"no webhook URL for coordinator {to.coordinator_id}", permanent=True
            )
        body = slack_payload(message, key) if self.slack else generic_payload(message, key)
        try:
            resp = self.client.post(
                to.address, json=body, headers={"Idempotency-Key": header_safe(key)}
            )
        except httpx.InvalidURL as exc:
            raise DeliveryError(
                f"contact of coordinator {to.coordinator_id} is not a usable URL",
                permanent=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {to.address}: {exc.__class__.__name__}: {exc}") from exc
        if resp.is_success:
            return
        permanent = 400 <= resp.status_code < 500 and resp.status_code not in (408, 429)
        raise DeliveryError(f"webhook {to.address} answered {resp.status_code}", permanent)

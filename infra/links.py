"""Signed, expiring, single-purpose action links for alert messages (decision 0009).

A link lets the person a message was written for act on one alert without signing in:
acknowledge it, snooze it a week, say "I reached out" or "the group has ended". The alert
router makes the links (:meth:`LinkSigner.link`), the API checks them (:meth:`open`); the
nonce makes each link single-use once the alert store records it. The token is
``base64url(JSON claims) "." base64url(HMAC-SHA256)``, signed with a secret that is never
the API tokens' (``PEERPULSE_LINK_SECRET``, else a random one kept in the alert store).
Pure apart from :func:`new_nonce`: the clock comes in as an argument.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ACTIONS = ("ack", "snooze_week", "reached_out", "ended")
"""What a link can do, one per link."""
ACTION_WORDS = {
    "ack": "Acknowledge",
    "snooze_week": "Snooze 1 week",
    "reached_out": "I reached out",
    "ended": "The group has ended",
}
LIFETIME = timedelta(days=7)
"""How long a link works unless told otherwise."""
_SALT = b"peerpulse.action-link.v1"


class LinkRefused(ValueError):
    """A link that cannot be used: ``why`` is ``tampered`` or ``expired``."""

    def __init__(self, why: str, message: str) -> None:
        super().__init__(message)
        self.why = why


@dataclass(frozen=True)
class ActionLink:
    """What one link may do: ``action`` on ``alert_id`` for ``recipient`` until ``expires``."""

    alert_id: str
    action: str
    recipient: str
    expires: datetime
    nonce: str


def new_nonce() -> str:
    """A fresh random nonce (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    """Makes and checks action-link tokens with one secret."""

    def __init__(self, secret: bytes, lifetime: timedelta = LIFETIME) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 bytes")
        self._key = hmac.new(secret, _SALT, hashlib.sha256).digest()
        self.lifetime = lifetime

    def nonce_for(self, seed: str) -> str:
        """A nonce derived from ``seed`` (a message's key, alert and action), so a message
        sent again after a crash carries the very same links."""
        return _b64(hmac.new(self._key, f"nonce:{seed}".encode(), hashlib.sha256).digest())[:22]

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def token(self, alert_id: str, action: str, recipient: str, now: datetime,
              nonce: str | None = None) -> str:  # fmt: skip
        """A signed token for one action on one alert, valid for :attr:`lifetime`."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        expires = int((now + self.lifetime).timestamp())
        claims = {"a": alert_id, "x": action, "r": recipient, "e": expires,
                  "n": nonce or new_nonce()}  # fmt: skip
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def link(self, public_url: str, alert_id: str, action: str, recipient: str,
             now: datetime, nonce: str | None = None) -> str:  # fmt: skip
        """The full URL of a new link (``{public_url}/a/{token}``)."""
        token = self.token(alert_id, action, recipient, now, nonce)
        return f"{public_url.rstrip('/')}/a/{token}"

    def open(self, token: str, now: datetime) -> ActionLink:
        """The link's claims; :class:`LinkRefused` when it was altered or has expired."""
        body, _, mac = token.partition(".")
        if not body or not mac or not hmac.compare_digest(self._mac(body), mac):
            raise LinkRefused("tampered", "this link is not one peerpulse made (or was altered)")
        try:
            c = json.loads(_unb64(body))
            link = ActionLink(str(c["a"]), str(c["x"]), str(c["r"]),
                              datetime.fromtimestamp(int(c["e"]), UTC), str(c["n"]))  # fmt: skip
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise LinkRefused("tampered", "this link is damaged") from exc
        if link.action not in ACTIONS:
            raise LinkRefused("tampered", "this link asks for an unknown action")
        if link.expires <= now:
            raise LinkRefused("expired", f"this link expired on {link.expires:%d %B %Y %H:%M} UTC")
        return link

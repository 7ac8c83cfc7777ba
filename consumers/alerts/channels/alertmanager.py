"""Prometheus Alertmanager v2 (``POST /api/v2/alerts``) for operations teams.

Labels: alertname, program, group, severity, kind, plus alert_id so two members' lapses in
one group stay two alerts. No personal data: names never leave for Alertmanager.
``severity`` follows actionability (:data:`~consumers.alerts.model.SEVERITY`): a group at
risk is ``critical``, a lapse or a dormant group ``warning``, a group eased to watch
``info``; an escalated alert is ``critical``.
A firing alert's ``endsAt`` is a lease: the delivery loop re-posts open alerts
(:mod:`consumers.alerts.refresh`) long before it runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from consumers.alerts.channels import DeliveryError
from consumers.alerts.model import HEALTH_KINDS, RESOLVED, Alert, Routing

ALERTNAMES = {
    "member-lapsed": "PeerpulseMemberLapsed",
    "group-at-risk": "PeerpulseGroupAtRisk",
    "group-dormant": "PeerpulseGroupDormant",
    "group-watch": "PeerpulseGroupWatch",
}


def am_alert(
    a: Alert, r: Routing, now: datetime, link: str, valid_for: timedelta
) -> dict[str, Any]:
    """One alert in Alertmanager's v2 shape; resolved ones end now."""
    ends = now if a.status == RESOLVED else now + valid_for
    return {
        "labels": {
            "alertname": ALERTNAMES.get(a.kind, "PeerpulseAlert"),
            "program": a.program_id,
            "group": a.group_id,
            "severity": a.severity,
            "kind": a.kind,
            "alert_id": a.alert_id,
        },
        "annotations": {
            "summary": f"{r.group_name or a.group_id}: {a.kind} ({a.status})",
            "program_name": r.program_name,
            "group_name": r.group_name,
        },
        "startsAt": a.raised_at.isoformat(),
        "endsAt": ends.isoformat(),
        "generatorURL": link,
    }


SEVERITIES = ("info", "warning", "critical")
"""Every value :attr:`Alert.severity` takes."""


def am_alerts(
    a: Alert, r: Routing, now: datetime, link: str, valid_for: timedelta
) -> list[dict[str, Any]]:
    """The alert under its current labels, and resolved under every other label set it
    may have had.

    ``severity`` and ``kind`` (with ``alertname``) are labels, so Alertmanager keeps one
    alert per combination: an alert escalated from warning to critical, or a group's alert
    that went from at risk to dormant (one alert per episode), would otherwise leave its
    earlier copy firing until that copy's lease ran out. A resolved copy Alertmanager never
    saw firing notifies nobody.
    """
    current = am_alert(a, r, now, link, valid_for)
    kinds = HEALTH_KINDS if a.kind in HEALTH_KINDS else (a.kind,)
    others = [
        {
            **current,
            "labels": {
                **current["labels"],
                "alertname": ALERTNAMES.get(k, "PeerpulseAlert"),
                "kind": k,
                "severity": s,
            },
            "endsAt": now.isoformat(),
        }
        for k in kinds
        for s in SEVERITIES
        if (k, s) != (a.kind, a.severity)
    ]
    return [current, *others]


class AlertmanagerChannel:
    """Posts alert state to one Alertmanager; repeating a post is harmless by design."""

    name = "alertmanager"

    def __init__(self, client: httpx.Client, base_url: str, valid_for: timedelta) -> None:
        self.client, self.base_url, self.valid_for = client, base_url.rstrip("/"), valid_for

    def push(self, a: Alert, r: Routing, now: datetime, link: str) -> None:
        """Send one alert's new state (see :func:`am_alerts`) or raise :class:`DeliveryError`."""
        self.push_many([(a, r, link)], now)

    def push_many(self, alerts: Sequence[tuple[Alert, Routing, str]], now: datetime) -> None:
        """Send ``(alert, routing, link)`` items in one request (one on a change, many to refresh).

        Like :meth:`push`, each alert also goes out resolved under its other labels:
        acknowledging or snoozing an escalated alert turns it back to its kind's severity
        without a post of its own, and the refresh must not leave the ``critical`` copy
        firing.
        """
        body = [x for a, r, link in alerts for x in am_alerts(a, r, now, link, self.valid_for)]
        try:
            resp = self.client.post(f"{self.base_url}/api/v2/alerts", json=body)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"alertmanager {self.base_url}: {exc}") from exc
        if not resp.is_success:
            raise DeliveryError(
                f"alertmanager answered {resp.status_code}: {resp.text[:200]}",
                permanent=resp.status_code == 400,
            )

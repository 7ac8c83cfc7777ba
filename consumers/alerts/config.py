"""The router's section of the one :class:`~infra.settings.Settings`, turned into policy.

``settings.alerts`` (``PEERPULSE_ALERTS_*``) lives on the lower floor with every other
setting; the pure policy's tunables (:class:`PolicyConfig`, :class:`QuietHours`) are the
router's own, so the translation lives here.
"""

from __future__ import annotations

from consumers.alerts.policy import PolicyConfig
from consumers.alerts.timing import QuietHours
from infra.settings import AlertSettings


def policy_config(alerts: AlertSettings) -> PolicyConfig:
    """The pure policy's tunables from the router's settings section."""
    return PolicyConfig(
        quiet=QuietHours(alerts.quiet_start, alerts.quiet_end), ops=bool(alerts.alertmanager_url)
    )

"""Alert-router settings (``PEERPULSE_ALERTS_*``), next to the process-wide :class:`Settings`.

Kept apart because only the router reads them; the composition root builds both.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.alerts.policy import PolicyConfig
from consumers.alerts.timing import QuietHours
from infra.topics import ALERTS


class AlertSettings(BaseSettings):
    """How the router consumes, when it speaks to people, and how hard it tries."""

    model_config = SettingsConfigDict(
        env_prefix="PEERPULSE_ALERTS_", env_file=".env", extra="ignore", frozen=True
    )

    topic: str = Field(ALERTS.name, description="Alert-intent topic to consume.")
    group_id: str = Field("peerpulse-alerts", description="Kafka consumer group.")
    quiet_start: int = Field(21, ge=0, le=23, description="Local hour quiet hours begin.")
    quiet_end: int = Field(8, ge=0, le=23, description="Local hour quiet hours end.")
    alertmanager_url: str = Field("", description="Alertmanager base URL; empty: no ops copy.")
    attempts: int = Field(4, ge=1, description="Delivery tries per notice before it fails.")
    backoff_base_s: float = Field(1.0, ge=0, description="First retry pause (doubles).")
    backoff_cap_s: float = Field(60.0, ge=0, description="Longest retry pause.")
    http_timeout_s: float = Field(10.0, gt=0, description="Webhook/Alertmanager timeout.")
    smtp_timeout_s: float = Field(10.0, gt=0, description="SMTP connect/send timeout.")
    deliver_every_s: float = Field(1.0, gt=0, description="Outbox and clock loop period.")
    ops_validity_hours: int = Field(168, ge=1, description="endsAt of firing ops alerts.")
    ops_refresh_hours: float = Field(
        1.0, gt=0, description="Re-post open alerts to Alertmanager this often (< validity)."
    )

    @model_validator(mode="after")
    def _refresh_before_lease_ends(self) -> AlertSettings:
        if self.ops_refresh_hours >= self.ops_validity_hours:
            raise ValueError(
                f"ops_refresh_hours ({self.ops_refresh_hours:g}) must be less than "
                f"ops_validity_hours ({self.ops_validity_hours}): open alerts would drop out "
                "of Alertmanager between refreshes"
            )
        return self

    def policy(self) -> PolicyConfig:
        """The pure policy's tunables."""
        return PolicyConfig(
            quiet=QuietHours(self.quiet_start, self.quiet_end), ops=bool(self.alertmanager_url)
        )

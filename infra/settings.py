"""The one settings object every peerpulse process is built from.

Values come from ``PEERPULSE_*`` environment variables (or a ``.env`` file);
tests construct :class:`Settings` directly instead of touching ``os.environ``.
A section (``settings.alerts``) reads ``PEERPULSE_<SECTION>_<FIELD>``, e.g.
``PEERPULSE_ALERTS_QUIET_START``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.topics import ALERTS


class AlertSettings(BaseModel):
    """The alert router's section: how it consumes, when it speaks to people, how hard it tries.

    Only the router reads it (``consumers/alerts/config.py`` turns it into the policy's
    tunables); it lives here so one object configures every process.
    """

    model_config = ConfigDict(frozen=True)

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
    claim_lease_s: float = Field(
        60.0, gt=0, description="A router's claim on a notice it sends (> each send timeout)."
    )

    @model_validator(mode="after")
    def _refresh_before_lease_ends(self) -> AlertSettings:
        if self.ops_refresh_hours >= self.ops_validity_hours:
            raise ValueError(
                f"ops_refresh_hours ({self.ops_refresh_hours:g}) must be less than "
                f"ops_validity_hours ({self.ops_validity_hours}): open alerts would drop out "
                "of Alertmanager between refreshes"
            )
        longest = max(self.smtp_timeout_s, self.http_timeout_s)
        if self.claim_lease_s <= longest:  # decision 0023: a claim outlives one attempt
            raise ValueError(
                f"claim_lease_s ({self.claim_lease_s:g}) must be more than the longest send "
                f"timeout ({longest:g} s): another router could send a notice still in flight"
            )
        return self


class Settings(BaseSettings):
    """Configuration for the embedded default and for production."""

    model_config = SettingsConfigDict(
        env_prefix="PEERPULSE_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        env_nested_delimiter="_",  # PEERPULSE_ALERTS_QUIET_START -> alerts.quiet_start
        env_nested_max_split=1,
    )

    data_dir: Path = Field(Path(".peerpulse"), description="Where embedded SQLite files live.")
    store: Literal["sqlite", "postgres"] = Field(
        "sqlite", description="Event store and read-model backend."
    )
    postgres_dsn: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        description="PostgreSQL DSN, used when store=postgres.",
    )
    postgres_schema: str = Field(
        "", description="Optional PostgreSQL schema (tests isolate by it)."
    )

    kafka_bootstrap: str = Field(
        "127.0.0.1:9092",
        description="Kafka bootstrap servers; unset: the embedded broker's host and port.",
    )
    broker_host: str = Field("127.0.0.1", description="Embedded broker listen host.")
    broker_port: int = Field(9092, description="Embedded broker listen port.")
    stall_after_s: float = Field(
        300.0,
        ge=0,
        description="A stage that makes no progress this long while input waits ends its "
        "process (exit 5) for a restart; 0: never (infra/progress.py).",
    )
    kafka_session_timeout_ms: int = Field(
        6000, description="Consumer-group session timeout; Tansu joins after about half of it."
    )
    topic_partitions: int = Field(3, ge=1, description="Partitions per keyed topic.")

    api_host: str = "127.0.0.1"
    api_port: int = 8400
    public_url: str = Field(
        "http://127.0.0.1:8400",
        description="Base URL used in alert links; unset: http://<api host>:<api port>.",
    )
    api_max_pending: int = Field(
        64, ge=1, description="POST /v1/attendance requests in progress at once (received, "
        "not yet answered); past it the door answers 503 with Retry-After instead of queueing.",
    )  # fmt: skip

    link_secret: str = Field(
        "", description="Signs the action links in alert messages (at least 16 characters); "
        "unset: a random secret made once and kept in the alert store. Never a token secret.",
    )  # fmt: skip

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_from: str = "peerpulse@localhost"

    metrics_host: str = Field(
        "127.0.0.1", description="Where long-running services serve /metrics (0.0.0.0 in compose)."
    )
    metrics_port: int = Field(
        0, ge=0, description="Port for /metrics of relay, ingest, worker, alerts, clock (0: off)."
    )

    snapshot_interval: int = Field(50, ge=1, description="Group events between snapshots.")

    alerts: AlertSettings = Field(default_factory=AlertSettings, description="The alert router.")

    @model_validator(mode="after")
    def _derive_addresses(self) -> Settings:
        """One source of truth: an address not set explicitly follows the port it names.

        ``PEERPULSE_BROKER_PORT=9192`` alone moves the embedded broker *and* every
        command's bootstrap; ``PEERPULSE_API_PORT`` alone moves the links in alerts too.
        An explicitly set ``kafka_bootstrap`` / ``public_url`` always wins.
        """
        derived = {
            "kafka_bootstrap": f"{_reachable(self.broker_host)}:{self.broker_port}",
            "public_url": f"http://{_reachable(self.api_host)}:{self.api_port}",
        }
        for name, value in derived.items():
            if name not in self.model_fields_set:
                self.__dict__[name] = value  # frozen: set once, during validation
        return self

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @property
    def sqlite_path(self) -> Path:
        """The embedded event store file."""
        return self.data_dir / "eventstore.sqlite"

    @property
    def readmodel_sqlite_path(self) -> Path:
        """The embedded read-model file."""
        return self.data_dir / "readmodel.sqlite"


def _reachable(host: str) -> str:
    """The address a client on this machine dials for a server listening on ``host``
    (a wildcard means loopback; an IPv6 address is bracketed for ``host:port``)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host

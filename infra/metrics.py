"""The metrics catalogue: every Prometheus metric peerpulse exports, declared once.

Names follow Prometheus conventions (``peerpulse_..._total``, base units, bounded labels:
never a member id). Services import the metric objects from here.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# -- ingest ------------------------------------------------------------------
INGEST_MESSAGES = Counter(
    "peerpulse_ingest_messages_total", "Attendance messages applied to the domain.", ["type"]
)
INGEST_REJECTIONS = Counter(
    "peerpulse_ingest_rejections_total", "Attendance messages sent to the DLQ.", ["reason"]
)

# -- relay -------------------------------------------------------------------
RELAY_PUBLISHED = Counter(
    "peerpulse_relay_events_published_total", "Domain events published to Kafka."
)
RELAY_LAG_EVENTS = Gauge(
    "peerpulse_relay_lag_events", "Stored events not yet published."
)
RELAY_LAG_SECONDS = Gauge(
    "peerpulse_relay_lag_seconds", "Age of the oldest stored event not yet published."
)

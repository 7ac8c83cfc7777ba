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
RELAY_QUARANTINED = Counter(
    "peerpulse_relay_events_quarantined_total",
    "Stored events the relay could not decode or translate, sent to its dead-letter topic.",
)
RELAY_RECOVERIES = Counter(
    "peerpulse_relay_broker_recoveries_total",
    "Times the relay lost the broker (restart, lost producer id, timeout) and resumed.",
)
RELAY_LAG_EVENTS = Gauge("peerpulse_relay_lag_events", "Stored events not yet published.")
RELAY_LAG_SECONDS = Gauge(
    "peerpulse_relay_lag_seconds", "Age of the oldest stored event not yet published."
)
ROLE_ACTIVE = Gauge(
    "peerpulse_role_active",
    "1 while this process holds its role's lock and works, 0 while it stands by for it.",
    ["role"],
)

# -- api ---------------------------------------------------------------------
# ``route`` is the route template (``/v1/groups/{group_id}``) or ``unmatched``: bounded.
API_REQUESTS = Counter(
    "peerpulse_api_requests_total",
    "HTTP requests answered by the API, by method, route template and status code.",
    ["method", "route", "status"],
)
API_REQUEST_SECONDS = Histogram(
    "peerpulse_api_request_duration_seconds",
    "Time to answer an HTTP request, in seconds, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
API_ATTENDANCE_ACCEPTED = Counter(
    "peerpulse_api_attendance_accepted_total",
    "Attendance messages accepted over HTTP and produced to the attendance topic.",
)
API_ATTENDANCE_REJECTED = Counter(
    "peerpulse_api_attendance_rejected_total",
    "Attendance messages refused over HTTP (4xx), by rejection code.",
    ["code"],
)
API_AUTH_FAILURES = Counter(
    "peerpulse_api_auth_failures_total",
    "Requests refused for authentication (401) or authorisation (403), by status code.",
    ["status"],
)
CONSUMER_LAG = Gauge(
    "peerpulse_consumer_lag_messages",
    "Records on a consumer's input topic not yet applied, in messages, by consumer "
    "(ingest, projections, alerts) and partition; measured by the API process (api/lag.py).",
    ["consumer", "partition"],
)

# -- alert router ------------------------------------------------------------
ALERT_INTENTS = Counter(
    "peerpulse_alert_intents_total", "Alert intents applied by the router.", ["kind"]
)
ALERT_INTENTS_REJECTED = Counter(
    "peerpulse_alert_intents_rejected_total",
    "Alert intents that could not be decoded.",
    ["reason"],
)
ALERT_DELIVERIES = Counter(
    "peerpulse_alert_deliveries_total", "Alert notices delivered.", ["channel", "purpose"]
)
ALERT_DELIVERY_ATTEMPTS = Counter(
    "peerpulse_alert_delivery_attempts_total", "Alert delivery tries.", ["channel", "outcome"]
)
ALERT_DELIVERY_FAILURES = Counter(
    "peerpulse_alert_delivery_failures_total",
    "Alert notices failed after the last retry.",
    ["channel"],
)
ALERT_ESCALATIONS = Counter(
    "peerpulse_alert_escalations_total", "Alerts escalated to a program's lead coordinator."
)
ALERT_OUTBOX_PENDING = Gauge(
    "peerpulse_alert_outbox_pending", "Alert notices waiting in the outbox."
)

# -- projections ---------------------------------------------------------------
PROJECTION_EVENTS = Counter(
    "peerpulse_projection_events_total",
    "Public domain events processed by the projector.",
    ["type"],
)
PROJECTION_REJECTED = Counter(
    "peerpulse_projection_rejected_total", "Records on the events topic that could not be decoded."
)
PROJECTION_LAG_SECONDS = Gauge(
    "peerpulse_projection_lag_seconds",
    "Wall clock minus the Kafka timestamp of the newest projected record.",
)
PROJECTION_GROUPS = Gauge(
    "peerpulse_projection_groups",
    'Groups per program and health level (programs beyond the first 200: program="other").',
    ["program", "level"],
)
PROJECTION_FLAG_EPISODES = Gauge(
    "peerpulse_projection_flag_episodes",
    "Flag episodes per program since it launched, by stage: flagged (entered at_risk), "
    "reached_out (an intervention before the outcome), recovered, went_dormant, ended "
    '(decision 0019; programs beyond the first 200: program="other").',
    ["program", "stage"],
)

# -- every stage ---------------------------------------------------------------
STAGE_STALLED = Gauge(
    "peerpulse_stage_stalled",
    "1 when a stage made no progress while input waited and its process is ending for a "
    "restart (infra/progress.py), else 0; by stage.",
    ["stage"],
)
STAGE_LAST_PROGRESS = Gauge(
    "peerpulse_stage_last_progress_timestamp_seconds",
    "Unix time a stage last made progress (or was seen idle), by stage.",
    ["stage"],
)

# -- clock -----------------------------------------------------------------------
# Silence (a missed session, a lapsing member) is only judged when time passes as
# Clock.Ticked events; a dead clock means no group is ever flagged, so it is watched too.
CLOCK_LAST_TICK = Gauge(
    "peerpulse_clock_last_tick_timestamp_seconds",
    "Unix time of the newest tick boundary the clock service confirmed in the event store.",
)
CLOCK_LAST_CHECK = Gauge(
    "peerpulse_clock_last_check_timestamp_seconds",
    "Unix time the clock service last read the wall clock and confirmed its tick.",
)
CLOCK_TICKS = Counter(
    "peerpulse_clock_ticks_total", "Clock.Ticked events recorded by the clock service."
)

# -- programs ------------------------------------------------------------------------
PROGRAM_INFO = Gauge(
    "peerpulse_program_info",
    "Always 1: the name of each program labelled in peerpulse_projection_groups, to join "
    "on ``program`` for readable legends (same bound: the first 200 programs).",
    ["program", "program_name"],
)

"""Alert routing: turns alert intents from ``peerpulse.alerts.v1`` into deliveries to people.

``policy`` is the pure core (dedup, digests, inhibition, quiet hours, acknowledgement,
escalation, self-resolution, snooze); ``store`` keeps the durable lifecycle and outbox;
``router`` and ``delivery`` are the thin Kafka and channel edges.
"""

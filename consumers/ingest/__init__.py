"""Attendance ingest: the inbound contract, the pure decoder, the mapper to domain commands,
the Kafka consumer loop with its dead-letter queue, and the CSV import."""

"""Attendance ingest: the mapper to domain commands, the Kafka consumer loop with its
dead-letter queue, and the CSV import. The inbound contract and its decoder live on neutral
ground (:mod:`infra.contract.inbound`), shared with the API's HTTP door."""

"""Long-running Kafka consumers: attendance ingest, alert routing and delivery."""

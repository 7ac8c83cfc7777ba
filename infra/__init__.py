"""Infrastructure: settings, event-store wiring, Kafka plumbing, the CLI (composition root)."""

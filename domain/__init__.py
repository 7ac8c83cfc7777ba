"""The pure domain: aggregates, events, policies and the EngagementApp use cases."""

"""The HTTP surface: ingest endpoint, queries, the built-in dashboard."""

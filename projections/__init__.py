"""Stream projections: group health, the risk model, read-model writers."""

"""What the projector emits for a judged group: read-model rows (:mod:`.rows`, the group
timeline in :mod:`.timeline`, program roll-ups and weekly trend in :mod:`.rollups`) and the
alert intents and group-health records for Kafka (:mod:`.alert_intents`). Pure."""

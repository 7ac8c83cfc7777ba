"""Stream projections: public events in, group health, risk levels, alert intents and the
read model out.

The hub is :mod:`projections.engine` (the pure :class:`~projections.engine.Projector`).
Its rooms, from the lowest floor up (import-linter holds the order, see pyproject.toml):

- :mod:`projections.fold` — decoded events folded into per-group and per-program state;
- :mod:`projections.risk` — the risk model ``assess(state, now, policy)`` and when to judge;
- :mod:`projections.readmodel` — the read model's tables, row changes and SQL writer;
- :mod:`projections.outputs` — rows, timeline, roll-ups and alert intents of a judgement;
- :mod:`projections.engine` — the projector tying them together;
- :mod:`projections.worker` — the faust worker, its runner and metrics, and ``rebuild``.
"""

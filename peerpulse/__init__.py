"""peerpulse's top floor: the command line, the composition root and the supervisor.

The only package that imports ``api``, ``consumers`` and ``projections`` together; none of
them imports it. ``python -m peerpulse`` runs the CLI (:mod:`peerpulse.cli`).
"""

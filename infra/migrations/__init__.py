"""Versioned schema migrations (Alembic) for peerpulse's durable stores: alerts, API tokens
and sessions, the member-key vault. Decision 0018.

``catalogue`` names the stores and their tables (light: no SQLAlchemy); ``runner`` brings a
store to head (``peerpulse db upgrade``, and every service when it first opens a store);
``env.py`` and ``versions/`` are Alembic's environment and the revision history.
"""

import logging

# Alembic's own INFO lines (plugin set-up on import, "Context impl", "Running upgrade") are
# noise in every service's start; the runner logs one line per store it changes instead.
logging.getLogger("alembic").setLevel(logging.WARNING)

"""How the parts of one role are put together (used by :mod:`peerpulse.build` only)."""

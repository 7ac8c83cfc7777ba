"""The revision history, one branch per store (``alerts_*``, ``auth_*``, ``vault_*``).

A revision is frozen once released: its columns and indexes are written out in full, never
built from code that may change later. Table names come from
:mod:`infra.migrations.catalogue`, whose values are never edited (a rename is a new name
plus a revision that renames). Add a revision as a new file whose ``down_revision`` is its
store's current head; ``downgrade`` is not supported (restore a backup instead).
"""

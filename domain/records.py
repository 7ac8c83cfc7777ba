"""Cheap copies for aggregates whose state records are replaced, never changed in place."""

from __future__ import annotations

import copy
from typing import Any, Self


class ReplacedRecords:
    """Aggregate mixin: ``deepcopy`` only renews the top-level containers.

    The aggregate cache hands each command a deep copy so a failed command cannot
    corrupt it. Every ``apply`` in peerpulse replaces records (``{**old, ...}``)
    instead of mutating them, so sharing the records themselves is safe and a copy
    costs O(containers) instead of O(history).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        clone = object.__new__(type(self))
        clone.__dict__.update(
            {k: copy.copy(v) if isinstance(v, dict | list) else v for k, v in self.__dict__.items()}
        )
        return clone

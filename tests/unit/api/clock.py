"""A settable clock for expiry tests: time passes when the test says so."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class FakeClock:
    """Callable like :func:`api.auth.store.wall_clock`; ``advance`` moves it on."""

    now: datetime = field(default_factory=lambda: datetime(2025, 3, 3, 12, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)

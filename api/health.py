"""Readiness checks: can this process reach its SQL store and its Kafka broker?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _store(container: Any) -> None:
    container.token_store.ping()
    queries = container.api_queries
    queries.ping()


def _broker(container: Any) -> None:
    from infra.broker import probe

    first = container.settings.kafka_bootstrap.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    probe(host or "127.0.0.1", int(port or 9092), timeout=2.0)


CHECKS: dict[str, Callable[[Any], None]] = {"store": _store, "broker": _broker}


def readiness(container: Any) -> dict[str, dict[str, Any]]:
    """``{name: {ok, error}}`` for every dependency; never raises."""
    out: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            check(container)
            out[name] = {"ok": True, "error": None}
        except Exception as exc:  # any failure means "not ready"
            out[name] = {"ok": False, "error": f"{exc.__class__.__name__}: {str(exc)[:200]}"}
    return out

"""Readiness checks: can this process reach its SQL store and its Kafka broker?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.ports import ApiParts


def _store(parts: ApiParts) -> None:
    parts.token_store.ping()
    queries = parts.api_queries
    queries.ping()


def _broker(parts: ApiParts) -> None:
    from infra.broker import probe

    first = parts.settings.kafka_bootstrap.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    probe(host or "127.0.0.1", int(port or 9092), timeout=2.0)


CHECKS: dict[str, Callable[[ApiParts], None]] = {"store": _store, "broker": _broker}


def readiness(parts: ApiParts) -> dict[str, dict[str, Any]]:
    """``{name: {ok, error}}`` for every dependency; never raises."""
    out: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            check(parts)
            out[name] = {"ok": True, "error": None}
        except Exception as exc:  # any failure means "not ready"
            out[name] = {"ok": False, "error": f"{exc.__class__.__name__}: {str(exc)[:200]}"}
    return out

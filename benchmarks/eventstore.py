"""How fast the event store records sessions, beside the raw eventsourcing save rate.

For SQLite (temporary file) and PostgreSQL (a fresh schema in database ``test``):
- ``hold_session``: one held session with 5 attendance marks per call, each its own
  transaction (load group + program, decide, save);
- ``hold_session x100/batch``: the same inside ``app.batch()``, 100 per transaction;
- beside each, the raw ``Application.save`` rate of a trivial aggregate event (one per
  transaction, and 100 per transaction) measured in the same run, and of an event with
  the same payload as ``SessionHeld`` (5 member ids) but no domain logic or loading.

``run()`` returns one dict per backend and case; ``python -m benchmarks.eventstore``
prints them. Target: recording costs at most 2x the raw save.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from infra.eventstore import eventstore_env
from infra.settings import Settings
from infra.vault import MemoryVault
from peerpulse.build import build

PG_DSN = os.environ.get("PEERPULSE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 1, 6, 18, 0, tzinfo=UTC)
GROUPS, MEMBERS = 40, 5


class Ping(Aggregate):
    """The trivial aggregate of the raw-save baseline."""

    class Started(Aggregate.Created):
        """Created."""

    class Pinged(Aggregate.Event):
        """One trivial event."""

        n: int

    class Attended(Aggregate.Event):
        """An event with a held session's payload (ids of 5 marked members), no logic."""

        session_id: UUID
        present: list[UUID]
        absent: list[UUID]
        excused: list[UUID]
        attendance_taken: bool


class RawApp(Application):
    """A bare eventsourcing application on the same store."""


def _raw_rate(env: dict[str, str], n: int, per_tx: int, payload: bool = False) -> float:
    app = RawApp(env=env)
    try:
        pings = [Ping._create(Ping.Started, id=uuid.uuid4()) for _ in range(per_tx)]
        app.save(*pings)
        started = time.perf_counter()
        for i in range(n // per_tx):
            for ping in pings:
                if payload:
                    ids = sorted(uuid.uuid4() for _ in range(MEMBERS))
                    ping.trigger_event(
                        Ping.Attended,
                        session_id=uuid.uuid4(),
                        present=ids[:4],
                        absent=ids[4:],
                        excused=[],
                        attendance_taken=True,
                    )
                else:
                    ping.trigger_event(Ping.Pinged, n=i)
            app.save(*pings)
        return n / (time.perf_counter() - started)
    finally:
        app.close()


def _world(app: Any) -> list[tuple[UUID, list[UUID]]]:
    program = uuid.uuid4()
    app.launch_program(program, "Bench", "Org", "weekly", T0, lapse_after=3)
    groups = []
    for _ in range(GROUPS):
        group, members = uuid.uuid4(), [uuid.uuid4() for _ in range(MEMBERS)]
        app.form_group(group, program, "G", "weekly", "goal", T0)
        for member in members:
            app.join_member(group, member, "peer", T0)
        groups.append((group, members))
    return groups


def _sessions_rate(app: Any, n: int, per_tx: int) -> float:
    groups = _world(app)

    def hold(i: int) -> None:
        group, members = groups[i % GROUPS]
        absent = members[(i // GROUPS) % MEMBERS]
        app.hold_session(
            group,
            uuid.uuid4(),
            T0 + timedelta(days=7 * (i // GROUPS) + 1),
            present=[m for m in members if m != absent],
            absent=[absent],
        )

    for i in range(GROUPS):  # warm the aggregate cache as a running consumer would
        hold(i)
    started = time.perf_counter()
    for first in range(GROUPS, GROUPS + n, per_tx):
        if per_tx == 1:
            hold(first)
            continue
        with app.batch():
            for i in range(first, first + per_tx):
                hold(i)
    return n / (time.perf_counter() - started)


@contextmanager
def _backend(store: str) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as tmp:
        if store == "sqlite":
            yield Settings(_env_file=None, data_dir=Path(tmp), store="sqlite")
            return
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            try:
                yield Settings(
                    _env_file=None,
                    data_dir=Path(tmp),
                    store="postgres",
                    postgres_dsn=PG_DSN,
                    postgres_schema=schema,
                )
            finally:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _measure(
    settings: Settings, case: str, n: int, per_tx: int, rounds: int = 3, trusted: bool = False
) -> dict[str, Any]:
    """Best of ``rounds`` interleaved runs each, so a busy machine hurts both sides alike.

    ``trusted``: the configuration ``peerpulse ingest`` runs (the single writer keeps its
    aggregates in memory); otherwise the default app, which re-reads each aggregate's
    newest events before every command so that several writers stay safe.
    """
    env = eventstore_env(settings)
    container = build(settings, vault=MemoryVault())
    if trusted:
        container.app.trust_cache()
    raw = raw_payload = ours = 0.0
    try:
        for _ in range(rounds):
            raw = max(raw, _raw_rate(env, n, per_tx))
            raw_payload = max(raw_payload, _raw_rate(env, n, per_tx, payload=True))
            ours = max(ours, _sessions_rate(container.app, n, per_tx))
    finally:
        container.close()
    return {
        "store": settings.store,
        "case": case,
        "sessions_per_s": round(ours, 1),
        "raw_saves_per_s": round(raw, 1),
        "cost_vs_raw": round(raw / ours, 2),
        "raw_same_payload_per_s": round(raw_payload, 1),
        "n": n,
        "per_transaction": per_tx,
    }


def run(stores: tuple[str, ...] = ("sqlite", "postgres"), n: int = 1000) -> list[dict[str, Any]]:
    """Measure every backend and case; print a line each; return the figures."""
    results = []
    cases: list[tuple[str, int, bool]] = [
        ("hold_session", 1, False),
        ("hold_session, ingest's cache", 1, True),
        ("hold_session x100/batch", 100, False),
        ("x100/batch, ingest's cache", 100, True),
    ]
    for store in stores:
        for case, per_tx, trusted in cases:
            with _backend(store) as settings:
                n_case = n if per_tx == 1 else n * 5
                result = _measure(settings, case, n_case, per_tx, trusted=trusted)
            results.append(result)
            print(
                f"{store:8} {case:29} {result['sessions_per_s']:>9.1f} sessions/s   raw save "
                f"{result['raw_saves_per_s']:>9.1f}/s   cost {result['cost_vs_raw']:.2f}x raw   "
                f"(raw save with a session's payload {result['raw_same_payload_per_s']:.1f}/s)"
            )
    return results


def main(run_: Callable[[], list[dict[str, Any]]] = run) -> None:
    """Entry point for ``python -m benchmarks.eventstore``."""
    run_()


if __name__ == "__main__":
    main()

"""Claims on due outbox rows, so several routers share the sending and no two send the same
notice (decision 0023).

A router *claims* what it will send in one transaction — ``claimed_by`` its id,
``claimed_until`` the lease's end — taking only rows that are unclaimed or whose lease ran
out, and a digest only whole (never a digest a live claim holds part of). Claimers take
turns: on PostgreSQL a transaction-level advisory lock per schema (the claim is two short
statements, so the turn costs nothing), on SQLite the write lock ``BEGIN IMMEDIATE``
already takes. Before each send attempt the router *holds* its claim (extends the lease,
in one statement that also checks the rows are still its own and still pending); if that
fails, someone else owns them now, or they were cancelled, and it does not send.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from consumers.alerts.model import Notice
from consumers.alerts.rows import NOTICE_COLUMNS, notice_from
from consumers.alerts.schema import OUTBOX
from consumers.alerts.sql import Tx, parse_ts, ts

CLAIM_LOCK = 0x70704143  # "ppAC": class of the two-key advisory lock claimers take turns on
GROUP_LOCK = 0x70704147  # "ppAG": class of the per-group lock intents are applied under


def take_turn(tx: Tx, pg: bool) -> None:
    """Wait for this schema's claim turn (PostgreSQL; SQLite's write lock already is one)."""
    if pg:
        tx.run("SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", (CLAIM_LOCK,))


def lock_group(tx: Tx, pg: bool, group_id: str) -> None:
    """Serialise the application of intents of one group across routers (PostgreSQL)."""
    if pg:
        tx.run(
            "SELECT pg_advisory_xact_lock(?, hashtext(current_schema() || ':' || ?))",
            (GROUP_LOCK, group_id),
        )


def claim_due(
    tx: Tx, pg: bool, now: datetime, me: str, until: datetime, limit: int
) -> list[Notice]:
    """Claim due pending notices for ``me`` until ``until``; returns them, oldest first."""
    take_turn(tx, pg)
    rows = tx.run(
        f"SELECT {NOTICE_COLUMNS} FROM {OUTBOX} WHERE status = 'pending' AND not_before <= ? "
        "AND (claimed_until IS NULL OR claimed_until <= ?) "
        f"ORDER BY not_before, created_at LIMIT {int(limit)}",
        (ts(now), ts(now)),
    )
    due = [notice_from(r) for r in rows]
    digests = sorted({n.digest_key for n in due if n.digest_key})
    if digests:
        due = [n for n in due if not n.digest_key] + _whole_digests(tx, digests, now)
    if due:
        keys = [n.key for n in due]
        tx.run(
            f"UPDATE {OUTBOX} SET claimed_by = ?, claimed_until = ? "
            f"WHERE notice_key IN ({','.join('?' * len(keys))})",
            (me, ts(until), *keys),
        )
    return sorted(due, key=lambda n: n.not_before)


def _whole_digests(tx: Tx, digests: list[str], now: datetime) -> list[Notice]:
    """Every due pending notice of ``digests``, leaving out a digest a live claim holds
    any part of (its holder sends it; the rest joins the next one)."""
    marks = ",".join("?" * len(digests))
    rows = tx.run(
        f"SELECT {NOTICE_COLUMNS}, claimed_by, claimed_until FROM {OUTBOX} "
        f"WHERE status = 'pending' AND not_before <= ? AND digest_key IN ({marks}) "
        "ORDER BY created_at",
        (ts(now), *digests),
    )
    held = {r[5] for r in rows if r[7] is not None and parse_ts(r[7]) > now}
    return [notice_from(r[:6]) for r in rows if r[5] not in held]


def hold(tx: Tx, keys: Sequence[str], me: str, until: datetime) -> None:
    """Extend ``me``'s claim on ``keys`` to ``until``; :class:`LostClaim` (roll back)
    unless every one is still pending and claimed by ``me``."""
    marks = ",".join("?" * len(keys))
    changed = tx.changed(
        f"UPDATE {OUTBOX} SET claimed_until = ? WHERE notice_key IN ({marks}) "
        "AND claimed_by = ? AND status = 'pending'",
        (ts(until), *keys, me),
    )
    if changed != len(keys):
        raise LostClaim


def release_all(tx: Tx, me: str) -> None:
    """Give back every pending notice ``me`` claimed: a router starting under an id an
    earlier process used (SQLite's one router) takes its crashed predecessor's claims back
    at once instead of after their lease."""
    tx.run(
        f"UPDATE {OUTBOX} SET claimed_by = NULL, claimed_until = NULL "
        "WHERE claimed_by = ? AND status = 'pending'",
        (me,),
    )


class LostClaim(Exception):
    """The claim is no longer this router's (lease ran out and another took it, or the
    notice was cancelled or settled meanwhile): the hold's transaction is rolled back."""

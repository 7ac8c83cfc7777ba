"""``AlertStore``: the durable alert lifecycle and the delivery outbox, one SQL transaction
per decision. The API calls :meth:`list` and :meth:`acknowledge`; the router calls
:meth:`receive`; the delivery loop drains the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.alerts import claims, lifecycle
from consumers.alerts.model import (
    LAPSED,
    OPEN_STATUSES,
    Alert,
    AlertIntent,
    Decision,
    LogEntry,
    Notice,
    Routing,
)
from consumers.alerts.policy import Context, PolicyConfig, decide
from consumers.alerts.rows import (
    ALERT_COLUMNS,
    NOTICE_COLUMNS,
    alert_from,
    alert_params,
    log_from,
    notice_from,
)
from consumers.alerts.schema import ALERT_STORE, ALERTS, LINK_USES, LOG, OUTBOX
from consumers.alerts.sql import Database, Tx, parse_ts, ts
from infra.migrations.runner import ensure_at_head

_OPEN = ",".join(f"'{s}'" for s in OPEN_STATUSES)


@dataclass(frozen=True)
class FailedNotice:
    """A notice whose last retry failed, with why."""

    notice: Notice
    attempts: int
    error: str


class AlertStore:
    """Alerts, their lifecycle log and the outbox in SQLite or PostgreSQL."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.db, self.clock = db, clock
        self._for_update = " FOR UPDATE" if db.pg else ""  # SQLite: BEGIN IMMEDIATE locks
        ensure_at_head(db.settings, ALERT_STORE, sqlite_file=db.path)

    # -- router -------------------------------------------------------------
    def receive(
        self, intent: AlertIntent, routing: Routing, now: datetime, cfg: PolicyConfig
    ) -> Decision | None:
        """Apply one intent atomically; ``None`` when this intent id was already applied."""
        with self.db.tx() as tx:
            claims.lock_group(tx, self.db.pg, intent.group_id)  # routers apply a group in turn
            if tx.run(f"SELECT 1 FROM {LOG} WHERE intent_id = ? LIMIT 1", (intent.id,)):
                return None
            decision = decide(intent, self._context(tx, intent, routing), now, cfg)
            if not decision.log:
                decision.log.append(
                    LogEntry("", "ignored", now, note=intent.kind, intent_id=intent.id)
                )
            self._apply(tx, decision, now)
            return decision

    def reject(self, reason: str, raw: str, now: datetime) -> None:
        """Keep an undecodable intent visible in the log instead of dropping it."""
        self.apply(Decision(log=[LogEntry("", "rejected", now, note=f"{reason}: {raw[:500]}")]))

    def _context(self, tx: Tx, intent: AlertIntent, routing: Routing) -> Context:
        rows = tx.run(
            f"SELECT {ALERT_COLUMNS} FROM {ALERTS} WHERE group_id = ? AND status IN ({_OPEN})"
            f"{self._for_update}",  # a settlement on another connection waits, or is seen
            (intent.group_id,),
        )
        open_ = [alert_from(r) for r in rows]
        current = next((a for a in open_ if a.alert_key == intent.alert_key), None)
        health = next((a for a in open_ if a.alert_key.startswith("health:")), None)
        pending: tuple[Notice, ...] = ()
        if current is not None:
            pending = tuple(
                notice_from(r)
                for r in tx.run(
                    f"SELECT {NOTICE_COLUMNS} FROM {OUTBOX} WHERE alert_id = ? "
                    "AND status = 'pending' ORDER BY not_before",
                    (current.alert_id,),
                )
            )
        lapses = tuple(a for a in open_ if a.kind == LAPSED)
        return Context(routing, current, health, lapses, pending)

    # -- applying decisions -------------------------------------------------
    def apply(self, decision: Decision) -> None:
        """Apply a decision made outside :meth:`receive` (ack, tick, delivery outcome)."""
        with self.db.tx() as tx:
            self._apply(tx, decision, self.clock())

    def _apply(self, tx: Tx, d: Decision, now: datetime) -> None:
        for alert_id in d.cancel_pending:
            tx.run(
                f"UPDATE {OUTBOX} SET status = 'cancelled' WHERE alert_id = ? "
                "AND status = 'pending' AND recipient_id != 'ops'",
                (alert_id,),
            )
        for key in d.cancel_notices:
            tx.run(
                f"UPDATE {OUTBOX} SET status = 'cancelled' WHERE notice_key = ? "
                "AND status = 'pending'",
                (key,),
            )
        cols = ALERT_COLUMNS.split(", ")
        update = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
        for a in d.alerts:
            tx.run(
                f"INSERT INTO {ALERTS} ({ALERT_COLUMNS}) VALUES ({','.join('?' * len(cols))})"
                f" ON CONFLICT (alert_id) DO UPDATE SET {update}",
                alert_params(a),
            )
        for e in d.log:
            tx.run(
                f"INSERT INTO {LOG} VALUES (?, ?, ?, ?, ?, ?)",
                (e.alert_id, e.event, ts(e.at), e.by, e.note, e.intent_id),
            )
        for n in d.notices:
            tx.run(
                f"INSERT INTO {OUTBOX} ({NOTICE_COLUMNS}, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (notice_key) DO NOTHING",
                (
                    n.key,
                    n.alert_id,
                    n.purpose,
                    n.recipient_id,
                    ts(n.not_before),
                    n.digest_key,
                    ts(now),
                ),
            )

    # -- queries --------------------------------------------------------------
    def get(self, alert_id: str) -> Alert | None:
        """One alert by id."""
        with self.db.tx() as tx:
            rows = tx.run(f"SELECT {ALERT_COLUMNS} FROM {ALERTS} WHERE alert_id = ?", (alert_id,))
        return alert_from(rows[0]) if rows else None

    def ids_starting_with(self, prefix: str, limit: int = 10) -> list[str]:
        """Alert ids beginning with ``prefix`` (the CLI takes unique id prefixes)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.db.tx() as tx:
            rows = tx.run(
                f"SELECT alert_id FROM {ALERTS} WHERE alert_id LIKE ? ESCAPE '\\' "
                f"ORDER BY alert_id LIMIT {int(limit)}",
                (pattern,),
            )
        return [r[0] for r in rows]

    def list(
        self, status: str | None = None, program_ids: Iterable[str] | None = None, limit: int = 500
    ) -> list[Alert]:
        """Alerts, newest first; ``status="open"`` any unresolved, ``"failed"`` any whose
        delivery failed; ``program_ids`` restricts to those programs (API token scope)."""
        where, params = [], []
        if status == "open":
            where.append(f"status IN ({_OPEN})")
        elif status == "failed":
            where.append(f"alert_id IN (SELECT alert_id FROM {OUTBOX} WHERE status = 'failed')")
        elif status:
            where.append("status = ?")
            params.append(status)
        if program_ids is not None:
            ids = [str(p) for p in program_ids] or [""]
            where.append(f"program_id IN ({','.join('?' * len(ids))})")
            params += ids
        sql = f"SELECT {ALERT_COLUMNS} FROM {ALERTS}"
        sql += f" WHERE {' AND '.join(where)}" if where else ""
        with self.db.tx() as tx:
            rows = tx.run(f"{sql} ORDER BY updated_at DESC LIMIT {int(limit)}", params)
        return [alert_from(r) for r in rows]

    def open_alerts(self) -> list[Alert]:
        """Every unresolved alert, oldest first, without :meth:`list`'s limit (the
        Alertmanager refresh re-posts them all)."""
        with self.db.tx() as tx:
            rows = tx.run(
                f"SELECT {ALERT_COLUMNS} FROM {ALERTS} WHERE status IN ({_OPEN}) "
                "ORDER BY raised_at, alert_id"
            )
        return [alert_from(r) for r in rows]

    def history(self, alert_id: str) -> list[LogEntry]:
        """An alert's lifecycle, oldest first."""
        with self.db.tx() as tx:
            rows = tx.run(f"SELECT * FROM {LOG} WHERE alert_id = ? ORDER BY at", (alert_id,))
        return [log_from(r) for r in rows]

    # -- people -----------------------------------------------------------------
    def acknowledge(self, alert_id: str, by: str, comment: str = "") -> Alert:
        """Record that ``by`` took the alert on, with a comment; stops escalation."""
        d = self.transition(alert_id, lambda a, now: lifecycle.acknowledge(a, by, comment, now))
        return d.alerts[0]

    def snooze(self, alert_id: str, until: datetime, by: str) -> Alert:
        """Quiet an alert until ``until`` or until it gets worse."""
        d = self.transition(alert_id, lambda a, now: lifecycle.snooze(a, until, by, now))
        return d.alerts[0]

    def unacknowledge(self, alert_id: str, by: str) -> Alert:
        """Take an acknowledgement back (the alert waits again; the comment is kept)."""
        d = self.transition(alert_id, lambda a, now: lifecycle.unacknowledge(a, by, now))
        return d.alerts[0]

    def close(self, alert_id: str, by: str, note: str) -> Alert:
        """Resolve an alert by hand (the group has ended)."""
        d = self.transition(alert_id, lambda a, now: lifecycle.close(a, by, note, now))
        return d.alerts[0]

    def transition_once(
        self, nonce: str, record: tuple[str, str, str],
        change: Callable[[Alert, datetime], Decision],
    ) -> Decision | None:  # fmt: skip
        """Apply ``change`` to ``record``'s alert (``(alert_id, action, recipient)``) and
        record ``nonce`` as used, in one transaction; ``None`` when the nonce was used
        before (nothing changes). A change that raises records nothing."""
        now = self.clock()
        with self.db.tx() as tx:
            fresh = tx.changed(
                f"INSERT INTO {LINK_USES} (nonce, alert_id, action, recipient, used_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (nonce) DO NOTHING", (nonce, *record, ts(now)),
            )  # fmt: skip
            if not fresh:
                return None
            rows = tx.run(
                f"SELECT {ALERT_COLUMNS} FROM {ALERTS} WHERE alert_id = ?{self._for_update}",
                (record[0],),
            )  # locked as in transition: a link and a router's timer change it in turn
            if not rows:
                raise KeyError(record[0])
            decision = change(alert_from(rows[0]), now)
            self._apply(tx, decision, now)
        return decision

    def link_used(self, nonce: str) -> datetime | None:
        """When the action link with ``nonce`` was used, or None."""
        with self.db.tx() as tx:
            rows = tx.run(f"SELECT used_at FROM {LINK_USES} WHERE nonce = ?", (nonce,))
        return parse_ts(rows[0][0]) if rows else None

    def transition(
        self,
        alert_id: str,
        change: Callable[[Alert, datetime], Decision],
        now: datetime | None = None,
    ) -> Decision:
        """Apply ``change(current alert, now)`` atomically; ``KeyError`` if unknown."""
        now = now or self.clock()
        with self.db.tx() as tx:
            rows = tx.run(
                f"SELECT {ALERT_COLUMNS} FROM {ALERTS} WHERE alert_id = ?{self._for_update}",
                (alert_id,),
            )  # locked: two routers ticking the same alert change it once, in turn
            if not rows:
                raise KeyError(alert_id)
            decision = change(alert_from(rows[0]), now)
            self._apply(tx, decision, now)
        return decision

    # -- time and outbox ---------------------------------------------------------
    def due_for_tick(self, now: datetime) -> list[Alert]:
        """Alerts whose snooze ran out or whose escalation deadline passed."""
        with self.db.tx() as tx:
            rows = tx.run(
                f"SELECT {ALERT_COLUMNS} FROM {ALERTS} WHERE (status = 'snoozed' AND "
                "snoozed_until <= ?) OR (status = 'delivered' AND escalate_at <= ?)",
                (ts(now), ts(now)),
            )
        return [alert_from(r) for r in rows]

    def due_notices(self, now: datetime, limit: int = 200) -> list[Notice]:
        """Pending notices whose time has come, oldest first; a digest is never cut in two
        by ``limit`` (every notice of a digest that made the cut comes along)."""
        with self.db.tx() as tx:
            rows = tx.run(
                f"SELECT {NOTICE_COLUMNS} FROM {OUTBOX} WHERE status = 'pending' "
                f"AND not_before <= ? ORDER BY not_before, created_at LIMIT {int(limit)}",
                (ts(now),),
            )
            due = [notice_from(r) for r in rows]
            digests = sorted({n.digest_key for n in due if n.digest_key})
            if len(due) == limit and digests:
                seen = {n.key for n in due}
                marks = ",".join("?" * len(digests))
                more = tx.run(
                    f"SELECT {NOTICE_COLUMNS} FROM {OUTBOX} WHERE status = 'pending' "
                    f"AND not_before <= ? AND digest_key IN ({marks}) ORDER BY created_at",
                    (ts(now), *digests),
                )
                due += [n for n in map(notice_from, more) if n.key not in seen]
        return due

    def settle(
        self,
        n: Notice,
        outcome: str,
        channel: str,
        attempts: int,
        error: str | None,
        at: datetime,
        change: Callable[[Alert], Decision],
    ) -> None:
        """Mark a notice delivered or failed together with ``change(current alert)``."""
        self.settle_all([(n, change)], outcome, channel, attempts, error, at)

    def settle_all(
        self,
        sent: list[tuple[Notice, Callable[[Alert], Decision]]],
        outcome: str,
        channel: str,
        attempts: int,
        error: str | None,
        at: datetime,
    ) -> None:
        """Settle every notice of one message (a digest is many) in one transaction, so a
        crash never leaves a digest half settled (the restart re-sends it whole, under the
        same key, or not at all)."""
        with self.db.tx() as tx:  # alerts locked in one order: two settlements never deadlock
            for n, change in sorted(sent, key=lambda pair: pair[0].alert_id):
                rows = tx.run(
                    f"SELECT {ALERT_COLUMNS} FROM {ALERTS} WHERE alert_id = ?{self._for_update}",
                    (n.alert_id,),
                )
                settled = tx.changed(
                    f"UPDATE {OUTBOX} SET status = ?, channel = ?, attempts = attempts + ?, "
                    "last_error = ?, delivered_at = ? WHERE notice_key = ? "
                    "AND status = 'pending'",
                    (
                        outcome,
                        channel,
                        attempts,
                        error,
                        ts(at) if outcome == "delivered" else None,
                        n.key,
                    ),
                )
                if settled:  # settled once: a second settlement changes nothing
                    self._apply(tx, change(alert_from(rows[0])) if rows else Decision(), at)

    def claim_due(self, now: datetime, me: str, until: datetime, limit: int = 200) -> list[Notice]:
        """Claim the due pending notices no other live router holds, for router ``me``
        until ``until`` (decision 0023); a digest is claimed whole or not at all."""
        with self.db.tx() as tx:
            return claims.claim_due(tx, self.db.pg, now, me, until, limit)

    def hold(self, keys: list[str], me: str, until: datetime) -> bool:
        """Extend ``me``'s claim on ``keys`` before a send; False when any is no longer
        ``me``'s to send (another router's now, cancelled or settled)."""
        try:
            with self.db.tx() as tx:
                claims.hold(tx, keys, me, until)
        except claims.LostClaim:
            return False
        return True

    def release_all(self, me: str) -> None:
        """Give back every pending notice ``me`` claimed (a router restarted under its id)."""
        with self.db.tx() as tx:
            claims.release_all(tx, me)

    def failed_notices(self, alert_id: str | None = None) -> list[FailedNotice]:
        """Notices that exhausted their retries."""
        sql = f"SELECT {NOTICE_COLUMNS}, attempts, last_error FROM {OUTBOX} WHERE status='failed'"
        with self.db.tx() as tx:
            rows = tx.run(
                sql + (" AND alert_id = ?" if alert_id else ""), (alert_id,) if alert_id else ()
            )
        return [FailedNotice(notice_from(r), r[6], r[7] or "") for r in rows]

    def pending_count(self) -> int:
        """Notices waiting in the outbox."""
        with self.db.tx() as tx:
            return tx.run(f"SELECT COUNT(*) FROM {OUTBOX} WHERE status = 'pending'")[0][0]

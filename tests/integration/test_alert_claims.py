"""Claims on due notices (decision 0023): routers claiming at once never share a notice, a
digest goes to one router whole, and a claim whose lease ran out passes to another router
while its old holder can no longer send it. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from consumers.alerts import claims
from consumers.alerts.directory import StaticDirectory
from consumers.alerts.sql import ts
from consumers.alerts.store import AlertStore
from tests.unit.alerts.factories import FakeClock, container, routing

LEASE = timedelta(seconds=60)


def _stores(settings, clock, n: int = 2) -> list[AlertStore]:
    """``n`` stores on one database, each with its own connections (as separate routers)."""
    r = routing()
    return [
        container(settings, StaticDirectory({r.group_id: r}, {}), clock).alert_store
        for _ in range(n)
    ]


def _pending(store: AlertStore, clock, keys: list[str], digest: str | None = None) -> None:
    """Outbox rows due now, as the policy writes them."""
    with store.db.tx() as tx:
        for key in keys:
            tx.run(
                "INSERT INTO alert_outbox (notice_key, alert_id, purpose, recipient_id, "
                "not_before, digest_key, status, created_at) "
                "VALUES (?, 'a-1', 'warning', 'coord-ana', ?, ?, 'pending', ?)",
                (key, ts(clock()), digest, ts(clock())),
            )


def test_routers_claiming_at_once_never_claim_the_same_notice(store_settings):
    clock = FakeClock()
    a, b = _stores(store_settings, clock)
    keys = [f"n-{i:03}" for i in range(60)]
    _pending(a, clock, keys)
    start = threading.Barrier(2)
    got: dict[str, list[list[str]]] = {"a": [], "b": []}

    def claimer(name: str, store: AlertStore) -> None:
        start.wait()
        for _ in range(len(keys)):  # bounded: a claimer that never runs dry fails the test
            claimed = store.claim_due(clock(), name, clock() + LEASE, limit=7)
            if not claimed:
                return
            got[name].append([n.key for n in claimed])
            sent = [(n, lambda alert: None) for n in claimed]  # as the delivery loop does
            store.settle_all(sent, "delivered", "email", 1, None, clock())

    threads = [threading.Thread(target=claimer, args=(k, s)) for k, s in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    everything = [k for batches in got.values() for batch in batches for k in batch]
    assert sorted(everything) == keys, "each notice claimed exactly once, none left over"
    assert all(len(batch) <= 7 for batches in got.values() for batch in batches)


def test_a_claim_made_while_another_is_being_made_gets_none_of_its_notices(store_settings):
    """The race pinned down: b claims while a's claiming transaction is still open. b waits
    for a's turn to end and then finds a's notices taken; one claimer wins each notice."""
    clock = FakeClock()
    a, b = _stores(store_settings, clock)
    _pending(a, clock, ["n-1", "n-2", "n-3"])
    got: list[list[str]] = []
    with a.db.tx() as tx:
        won = [n.key for n in claims.claim_due(tx, a.db.pg, clock(), "a", clock() + LEASE, 2)]
        rival = threading.Thread(
            target=lambda: got.append([n.key for n in b.claim_due(clock(), "b", clock() + LEASE)])
        )
        rival.start()
        rival.join(timeout=1.0)
        assert rival.is_alive(), "b waits while a's claim is being made"
    rival.join(timeout=30)
    assert won == ["n-1", "n-2"] and got == [["n-3"]]


def test_a_digest_is_claimed_whole_by_one_router(store_settings):
    clock = FakeClock()
    a, b = _stores(store_settings, clock)
    _pending(a, clock, ["d-1", "d-2", "d-3"], digest="digest:coord-ana:2026-03-05")
    assert sorted(n.key for n in a.claim_due(clock(), "a", clock() + LEASE, limit=1)) == [
        "d-1", "d-2", "d-3",
    ]  # fmt: skip
    _pending(a, clock, ["d-4"], digest="digest:coord-ana:2026-03-05")  # joins while a sends
    _pending(a, clock, ["single"])
    assert [n.key for n in b.claim_due(clock(), "b", clock() + LEASE)] == ["single"]
    assert a.hold(["d-1", "d-2", "d-3"], "a", clock() + LEASE)


def test_a_lapsed_claim_passes_on_and_its_old_holder_cannot_send(store_settings):
    clock = FakeClock()
    a, b = _stores(store_settings, clock)
    _pending(a, clock, ["n-1"])
    assert [n.key for n in a.claim_due(clock(), "a", clock() + LEASE)] == ["n-1"]
    clock.now += LEASE / 2
    assert b.claim_due(clock(), "b", clock() + LEASE) == [], "a's lease still runs"
    assert a.hold(["n-1"], "a", clock() + LEASE), "a extends its claim before sending"
    clock.now += LEASE + timedelta(seconds=1)  # a stopped (paused, or died) past its lease
    assert [n.key for n in b.claim_due(clock(), "b", clock() + LEASE)] == ["n-1"]
    assert not a.hold(["n-1"], "a", clock() + LEASE), "the old holder does not send"
    a.release_all("a")  # changes nothing: the claim is b's
    assert b.hold(["n-1"], "b", clock() + LEASE)


def test_a_settled_notice_is_not_claimed_again_nor_held(store_settings):
    clock = FakeClock()
    (a,) = _stores(store_settings, clock, 1)
    _pending(a, clock, ["n-1"])
    (n,) = a.claim_due(clock(), "a", clock() + LEASE)
    a.settle_all([(n, lambda alert: None)], "delivered", "email", 1, None, clock())
    assert a.claim_due(clock() + 2 * LEASE, "b", clock() + 3 * LEASE) == []
    assert not a.hold(["n-1"], "a", clock() + LEASE)
    assert a.pending_count() == 0


def test_a_router_does_not_claim_its_own_live_claim_again_until_it_gives_it_back(
    sqlite_settings,
):
    """SQLite's one router always has the id ``router``: a restart after a crash between a
    send and its settlement gives its predecessor's claims back and sends again at once."""
    clock = FakeClock()
    (a,) = _stores(sqlite_settings, clock, 1)
    _pending(a, clock, ["n-1"])
    assert [n.key for n in a.claim_due(clock(), "router", clock() + LEASE)] == ["n-1"]
    assert a.claim_due(clock(), "router", clock() + LEASE) == [], "held, not taken twice"
    a.release_all("router")
    assert [n.key for n in a.claim_due(clock(), "router", clock() + LEASE)] == ["n-1"]

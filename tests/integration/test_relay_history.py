"""A realistic recorded history for the relay tests, made through the real EngagementApp.

``record_history(app, n)`` records at least ``n`` domain events covering every public
type: programs with coordinators (some provisioned first, then amended), groups whose
members attend, lapse and come back, make and keep commitments (some settled before
their details arrive, then amended), pause, and end; clock ticks in between.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid5

from infra.contract import BY_TYPE
from infra.contract.registry import BY_DOMAIN

NS = UUID("0b6b1f5e-2f43-4c41-9a57-5d0c2f7d1e00")
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
WEEK = timedelta(days=7)


def _id(*parts: object) -> UUID:
    return uuid5(NS, ":".join(map(str, parts)))


def _open_program(app, p: int, now: datetime) -> UUID:
    program, coordinator = _id("program", p), _id("coordinator", p)
    if p % 2 == 0:  # provisioned by an early mark, then the real launch arrives
        app.launch_program(program, f"prog-{p}", "lms", "weekly", now, provisional=True)
    app.launch_program(program, f"Program {p}", "North Campus", "weekly", now)
    app.assign_coordinator(
        program, coordinator, "Grace Hopper", "grace@example.org", "Europe/Berlin", "email", now
    )
    app.set_lead_coordinator(program, coordinator, now)
    app.assign_coordinator(
        program,
        _id("deputy", p),
        "Alan Turing",
        "alan@example.org",
        "Europe/London",
        "slack",
        now,
        digest="daily",
    )
    return program


def _form(app, program: UUID, g: int, now: datetime) -> None:
    group = _id("group", g)
    early = g % 4 == 1  # marks arrived first: provisional group and members, then the roster
    if early:
        app.form_group(group, program, f"g-{g}", "weekly", "", now, provisional=True)
    app.form_group(group, program, f"Circle {g}", "weekly", "ship a pilot", now)
    for m in range(4):
        member = _id("member", g, m)
        app.register_member(member, f"peer-{g}-{m}", f"Person {g}/{m}", "p@example.org", now)
        if early:
            app.join_member(group, member, "peer", now, provisional=True)
        app.join_member(group, member, "mentor" if m == 3 else "peer", now)


def _week(app, g: int, w: int, now: datetime) -> None:
    group, m = _id("group", g), [_id("member", g, i) for i in range(4)]
    session = _id("session", g, w)
    app.schedule_session(group, session, now, now - timedelta(days=2))
    if w % 9 == 7:
        app.cancel_session(group, session, "holiday", now)
        return
    absent = [m[2]] if w % 12 < 3 else []
    present = [m[0], m[1]] + ([] if absent else [m[2]])
    app.hold_session(group, session, now, present=present, absent=absent)
    app.mark_attendance(group, session, m[3], "present", now + timedelta(hours=1))
    if w % 4 == 2:
        app.correct_attendance(group, session, m[1], "excused", now + timedelta(hours=2))
    commitment = _id("commitment", g, w)
    if g % 4 == 1 and w % 6 == 4:  # settled before made: made bare, settled, then amended
        settle = (app.keep_commitment, app.miss_commitment, app.drop_commitment)[(w + 1) % 3]
        app.make_commitment(group, commitment, m[0], now)
        settle(group, commitment, now)
    app.make_commitment(group, commitment, m[0], now, session_id=session, due=now + WEEK)
    if w and (w - 1) % 9 != 7:
        keep = (app.keep_commitment, app.miss_commitment, app.drop_commitment)[w % 3]
        keep(group, _id("commitment", g, w - 1), now)
    if w % 5 == 3:
        app.mentor_check_in(group, m[3], now + timedelta(hours=3))
    if w % 10 == 5:
        app.pause_group(group, now + 2 * WEEK, "exams", now + timedelta(hours=4))
    if w % 10 == 6:
        app.resume_group(group, now + timedelta(hours=4))


def _close(app, g: int, program: UUID, now: datetime) -> None:
    group = _id("group", g)
    app.leave_member(group, _id("member", g, 3), now)
    app.forget_member(_id("member", g, 3), now)
    end = app.conclude_group if g % 2 else app.dissolve_group
    end(group, "cohort ended", now)


def record_history(app, events: int, groups_per_program: int = 8) -> int:
    """Record at least ``events`` domain events through ``app``; returns the last position."""
    groups = max(2, events // 220)
    programs = {}
    for g in range(groups):
        p = g // groups_per_program
        if p not in programs:
            programs[p] = _open_program(app, p, START)
        _form(app, programs[p], g, START)
    w = 0
    while (app.recorder.max_notification_id() or 0) < events - 3 * groups:
        now = START + w * WEEK
        with app.batch():
            for g in range(groups):
                _week(app, g, w, now + timedelta(minutes=g))
            app.tick(now + timedelta(days=1))
        if w == 10:
            for program in programs.values():
                app.change_lapse_policy(program, 4, now)
        w += 1
    end = START + w * WEEK
    for p, program in programs.items():
        app.unassign_coordinator(program, _id("deputy", p), end)
    for g in range(groups):
        _close(app, g, programs[g // groups_per_program], end)
    return app.recorder.max_notification_id()


def test_history_covers_every_public_event_type(sqlite_settings):
    from infra.bootstrap import build

    container = build(sqlite_settings)
    try:
        app = container.app
        last = record_history(app, 1500)
        names = {n.topic.rsplit(":", 1)[1] for n in app.recorder.select_notifications(1, last)}
        assert {BY_DOMAIN[d].TYPE for d in names if d in BY_DOMAIN} == set(BY_TYPE)
        assert last >= 1500
    finally:
        container.close()

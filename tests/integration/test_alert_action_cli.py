"""``peerpulse alerts unack`` and ``peerpulse groups intervene`` on a real SQLite store:
an un-acknowledge keeps the comment; an intervention by peerpulse id (or by a sender's ids)
lands on the group; bad input is one line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.ids import derive_id
from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse import cli
from peerpulse.build import build
from tests.unit.alerts.factories import FakeClock, lapsed, routing


def run(settings: Settings, *argv: str) -> int:
    args = cli.build_parser().parse_args(list(argv))
    return args.handler(args, settings)


def test_unack_keeps_the_comment_and_refuses_an_alert_not_acknowledged(sqlite_settings, capsys):
    from consumers.alerts.policy import PolicyConfig

    parts = build(sqlite_settings)
    clock = FakeClock()
    parts.alert_store.receive(lapsed(), routing(), clock(), PolicyConfig(ops=False))
    (alert,) = parts.alert_store.list(status="open")
    assert run(sqlite_settings, "alerts", "ack", alert.alert_id[:8], "--by", "ana",
               "--comment", "Called her") == 0  # fmt: skip
    assert run(sqlite_settings, "alerts", "unack", alert.alert_id[:8], "--by", "lee") == 0
    assert "the comment is kept" in capsys.readouterr().out
    back = parts.alert_store.get(alert.alert_id)
    assert (back.status, back.acknowledged_by, back.ack_comment) == ("raised", None, "Called her")
    with pytest.raises(UserFacingError, match="not acknowledged"):
        run(sqlite_settings, "alerts", "unack", alert.alert_id, "--by", "lee")


def _program(settings):
    parts = build(settings)
    app, now = parts.app, datetime.now(UTC)
    program, coord, group = (uuid.uuid4() for _ in range(3))
    app.launch_program(program, "Founders", "Acme", "weekly", now)
    app.assign_coordinator(program, coord, "Ana", "ana@example.org", "UTC", "email", now)
    app.form_group(group, program, "Tuesday Circle", "weekly", "ship", now, coordinator_id=coord)
    parts.close()
    return program, coord, group


def _kinds(settings, group) -> list[str]:
    parts = build(settings)
    try:
        return [e.kind for e in parts.app.repository.event_store.get(group)
                if type(e).__name__ == "InterventionLogged"]  # fmt: skip
    finally:
        parts.close()


def test_groups_intervene_by_peerpulse_id_logs_it_and_ended_concludes(sqlite_settings, capsys):
    program, coord, group = _program(sqlite_settings)
    assert run(sqlite_settings, "groups", "intervene", str(group), "--kind", "call",
               "--coordinator", str(coord), "--note", "asked how it goes") == 0  # fmt: skip
    assert "call logged" in capsys.readouterr().out
    assert run(sqlite_settings, "groups", "intervene", str(group), "--kind", "ended",
               "--coordinator", str(coord)) == 0  # fmt: skip
    assert _kinds(sqlite_settings, group) == ["call", "ended"]
    parts = build(sqlite_settings)
    assert parts.app.get_group(group).closed
    parts.close()


def test_groups_intervene_refuses_in_one_line(sqlite_settings, capsys):
    program, coord, group = _program(sqlite_settings)
    with pytest.raises(UserFacingError, match="no group"):
        run(sqlite_settings, "groups", "intervene", str(uuid.uuid4()), "--kind", "call",
            "--coordinator", str(coord))  # fmt: skip
    with pytest.raises(UserFacingError, match="not a peerpulse id"):
        run(sqlite_settings, "groups", "intervene", "circle-7", "--kind", "call",
            "--coordinator", str(coord))  # fmt: skip
    stranger = str(uuid.uuid4())
    assert run(sqlite_settings, "groups", "intervene", str(group), "--kind", "call",
               "--coordinator", stranger) == 1  # fmt: skip
    assert capsys.readouterr().err.startswith("refused: ")
    assert _kinds(sqlite_settings, group) == []


def test_groups_intervene_with_a_senders_ids(sqlite_settings):
    source = "lms.example"
    parts = build(sqlite_settings)
    app, now = parts.app, datetime.now(UTC)
    program, coord = derive_id("program", source, "p1"), derive_id("coordinator", source, "c1")
    group = derive_id("group", source, "g1")
    app.launch_program(program, "P", "O", "weekly", now)
    app.assign_coordinator(program, coord, "Ana", "ana@example.org", "UTC", "email", now)
    app.form_group(group, program, "G", "weekly", "", now)
    parts.close()
    assert run(sqlite_settings, "groups", "intervene", "g1", "--kind", "meeting",
               "--coordinator", "c1", "--source", source, "--program", "p1") == 0  # fmt: skip
    assert _kinds(sqlite_settings, group) == ["meeting"]

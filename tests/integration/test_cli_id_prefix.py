"""``peerpulse alerts ack 105204a0``: a unique id prefix is enough; an ambiguous or unknown
one is one line naming how many ids it matches, and nothing is changed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from consumers.alerts.directory import StaticDirectory
from consumers.alerts.model import Decision
from consumers.alerts.policy import PolicyConfig
from peerpulse.cli import main
from peerpulse.commands.up import settings_env
from tests.unit.alerts.factories import FakeClock, container, lapsed, routing

TWIN_A = "abcd1234-aaaa-4000-8000-000000000001"
TWIN_B = "abcd1234-bbbb-4000-8000-000000000002"


@pytest.fixture
def alerts(store_settings, monkeypatch):
    """The real alert store with one raised alert and two whose ids share their first 9 characters;
    the CLI reads the same store from PEERPULSE_* variables."""
    for name, value in settings_env(store_settings).items():
        monkeypatch.setenv(name, value)
    clock = FakeClock()
    r = routing()
    store = container(store_settings, StaticDirectory({r.group_id: r}, {}), clock).alert_store
    store.receive(lapsed(), r, clock(), PolicyConfig(ops=False))
    (raised,) = store.list()
    twins = [replace(raised, alert_id=i, alert_key=f"twin:{i}") for i in (TWIN_A, TWIN_B)]
    store.apply(Decision(alerts=twins))
    return store, raised.alert_id


def test_an_alert_is_acknowledged_by_its_first_eight_characters(alerts, capsys):
    store, alert_id = alerts
    assert main(["alerts", "ack", alert_id[:8], "--by", "coord-ana"]) == 0
    assert capsys.readouterr().out.strip() == f"{alert_id} acknowledged by coord-ana"
    assert store.get(alert_id).status == "acknowledged"


def test_an_upper_case_prefix_is_the_same_id(alerts, capsys):
    store, alert_id = alerts
    assert main(["alerts", "snooze", alert_id[:10].upper(), "--by", "ana", "--days", "2"]) == 0
    assert store.get(alert_id).status == "snoozed"


def test_an_ambiguous_prefix_is_one_line_with_the_count_and_changes_nothing(alerts, capsys):
    store, _ = alerts
    assert main(["alerts", "ack", "abcd1234", "--by", "coord-ana"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("peerpulse alerts: 'abcd1234' matches 2 alert ids")
    assert TWIN_A in line and "give more of the id" in line
    assert {store.get(t).status for t in (TWIN_A, TWIN_B)} == {"raised"}


def test_a_longer_prefix_picks_one_twin(alerts):
    store, _ = alerts
    assert main(["alerts", "ack", "ABCD1234-B", "--by", "coord-ana"]) == 0
    assert [store.get(t).status for t in (TWIN_A, TWIN_B)] == ["raised", "acknowledged"]


@pytest.mark.parametrize("given", ["ffff0000", "105204a0-dead"])
def test_an_unknown_prefix_is_one_line(alerts, capsys, given):
    assert main(["alerts", "ack", given, "--by", "coord-ana"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"peerpulse alerts: no alert id starts with '{given}'"


@pytest.mark.parametrize("given", ["abc", "abcd%", "ab_d1234"])
def test_a_prefix_too_short_or_not_hex_is_refused_before_the_store_is_asked(alerts, capsys, given):
    store, _ = alerts
    assert main(["alerts", "ack", given, "--by", "coord-ana"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"peerpulse alerts: {given!r} is not a valid alert id" in line
    assert "at least its first 4 hex digits" in line
    assert {a.status for a in store.list()} == {"raised"}


def test_a_token_is_revoked_and_linked_by_prefix(store_settings, monkeypatch, capsys):
    for name, value in settings_env(store_settings).items():
        monkeypatch.setenv(name, value)
    from api.auth.store import TokenStore

    tokens = TokenStore(store_settings)
    token, _secret = tokens.create("ops", ["read"])
    assert main(["tokens", "link", token.id[:6]]) == 0
    assert "/login?token=" in capsys.readouterr().out
    assert main(["tokens", "revoke", token.id[:6]]) == 0
    assert capsys.readouterr().out.strip() == f"token {token.id} revoked"
    assert tokens.get(token.id).revoked_at is not None
    assert main(["tokens", "revoke", token.id[:6]]) == 2
    assert (
        capsys.readouterr().err.strip() == f"peerpulse tokens: token {token.id} is already revoked"
    )


def test_alerts_list_says_when_it_shows_only_the_first_ones_and_when_there_are_none(alerts, capsys):
    """No silent cap: a list cut at --limit says so; an empty one says so (on stderr)."""
    assert main(["alerts", "list", "--limit", "2"]) == 0
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 2
    assert "showing the first 2 alerts; --limit N shows more" in err
    assert main(["alerts", "list"]) == 0
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 3 and "showing" not in err
    assert main(["alerts", "list", "--status", "resolved"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == "no alerts with status resolved"

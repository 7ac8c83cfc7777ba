"""Coordinator-bound tokens (issue 14): created from the CLI, stored, and on the dashboard
seeing only that coordinator's groups, alerts and level counts (the caseload)."""

from __future__ import annotations

import uuid

import pytest

from api.auth.store import TokenStore
from domain.ids import derive_id
from peerpulse.cli import main
from tests.unit.api import seed

COORD = uuid.UUID(seed.COORD_1)


def test_cli_binds_a_token_to_a_coordinator_and_lists_it(sqlite_settings, capsys, monkeypatch):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    assert main(["tokens", "create", "--scope", "read", "--name", "ana",
                 "--coordinator", str(COORD)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"coordinator={COORD}" in out
    secret = next(line for line in out.splitlines() if line.startswith("ppt_"))
    token = TokenStore(sqlite_settings).authenticate(secret)
    assert token is not None and token.coordinator == COORD
    assert main(["tokens", "list"]) == 0
    assert f"coordinator {COORD}" in capsys.readouterr().out


def test_cli_derives_the_coordinator_from_the_sending_systems_id(
    sqlite_settings, capsys, monkeypatch
):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    assert main(["tokens", "create", "--scope", "read", "--name", "ana",
                 "--coordinator", "coord-1", "--source", "demo"]) == 0  # fmt: skip
    (token,) = TokenStore(sqlite_settings).list()
    assert token.coordinator == derive_id("coordinator", "demo", "coord-1")


@pytest.mark.parametrize(("args", "says"), [
    (["--coordinator", "ana"], "--coordinator 'ana' is not a peerpulse id (UUID)"),
    (["--source", "demo"], "--source only goes with --coordinator"),
])  # fmt: skip
def test_cli_refuses_a_coordinator_it_cannot_resolve_in_one_line(
    sqlite_settings, capsys, monkeypatch, args, says
):
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    code = main(["tokens", "create", "--scope", "read", "--name", "x", *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and says in err
    assert TokenStore(sqlite_settings).list() == []


def test_an_unbound_token_has_no_coordinator_and_sees_every_group(sqlite_settings):
    token, _ = TokenStore(sqlite_settings).create("ops", ["read"])
    assert token.coordinator is None
    assert token.sees_group({"program_id": str(seed.PROGRAM_A), "coordinator_id": None})


def test_a_bound_token_sees_only_its_coordinators_groups(sqlite_settings):
    token, _ = TokenStore(sqlite_settings).create("ana", ["read"], coordinator=COORD)
    program = str(seed.PROGRAM_A)
    assert token.sees_group({"program_id": program, "coordinator_id": str(COORD)})
    assert not token.sees_group({"program_id": program, "coordinator_id": seed.COORD_2})
    assert not token.sees_group({"program_id": program, "coordinator_id": None})


@pytest.fixture
def signed_in(client, container):
    """A client signed in to the dashboard with a token bound to COORD_1."""
    _, secret = container.token_store.create("ana", ["read"], coordinator=COORD)
    assert client.get(f"/login?token={secret}", follow_redirects=False).status_code == 303
    return client


def test_the_caseload_lists_only_the_coordinators_groups_across_programs(signed_in):
    page = signed_in.get("/caseload")
    assert page.status_code == 200 and "My caseload" in page.text
    for name in ("Circle 7 — Founders", "Circle 1 — Hiring", "Circle 3 — Growth"):
        assert name in page.text
    for name in ("Circle 9 — Product", "Circle 4 — Fundraising", "Mentors West"):
        assert name not in page.text
    assert 'name="coordinator"' not in page.text  # no choice of whose groups to see


def test_pages_of_another_coordinators_group_or_alert_are_404(signed_in):
    assert signed_in.get(f"/groups/{seed.gid(1)}").status_code == 200
    assert signed_in.get(f"/groups/{seed.gid(3)}").status_code == 404
    assert signed_in.post("/alerts/al-4/ack", content=b"comment=x").status_code == 404
    alerts = signed_in.get("/alerts").text
    assert "Circle 7 — Founders" in alerts and "Mentors West" not in alerts


def test_program_counts_are_the_coordinators_own(signed_in):
    page = signed_in.get(f"/programs/{seed.PROGRAM_A}").text
    cards = page[page.index('class="cards"') : page.index("</dl>")]
    # COORD_1 has one group at risk, none on watch, one healthy, one dormant in program A
    assert [c.split("<dd>")[1].split("<")[0] for c in cards.split("<dt>")[1:]] == [
        "1", "0", "1", "1"]  # fmt: skip

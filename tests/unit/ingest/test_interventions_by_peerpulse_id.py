"""An intervention from the dashboard, the API or an action link names the group, its
program and the coordinator by peerpulse id (source ``urn:peerpulse:ids``): ingest applies
it to that very group; a session cannot be named so (decision 0009)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumers.ingest.mapper import apply
from domain.errors import InvalidCommand
from domain.ids import derive_id
from infra.contract.inbound.decoder import decode
from infra.contract.inbound.ids import PEERPULSE_IDS, Ids
from infra.contract.inbound.interventions import encoded, intervention_message
from tests.unit.ingest.conftest import NOW, SOURCE, T0, events, gid, send
from tests.unit.ingest.test_interventions import ROSTER


def test_an_intervention_naming_peerpulse_ids_reaches_the_group_and_ends_it(app):
    send(app, *ROSTER)
    program = derive_id("program", SOURCE, "prog")
    coordinator = derive_id("coordinator", SOURCE, "staff-1")
    message = intervention_message(
        source=PEERPULSE_IDS, program=str(program), group=str(gid()),
        coordinator=str(coordinator), kind="ended", occurred_at=T0 + timedelta(days=3),
    )  # fmt: skip
    with app.batch():
        apply(app, decode(encoded(message), None, NOW))
    assert events(app, gid())[-2:] == ["InterventionLogged", "Concluded"]


def test_sessions_and_non_ids_cannot_be_named_by_peerpulse_id():
    class Data:
        group = "00000000-0000-4000-8000-000000000001"

    ids = Ids(PEERPULSE_IDS, Data)
    assert str(ids.of("group", Data.group)) == Data.group
    for kind, given in (("session", "s-1"), ("group", "circle-7")):
        with pytest.raises(InvalidCommand, match="names things by peerpulse id"):
            ids.of(kind, given)

"""``intervention.logged`` messages: decoded, mapped onto the one intake use case, built for
the CLI and the API by :mod:`infra.contract.inbound.interventions` (decision 0019)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumers.ingest.mapper import apply
from domain.errors import UnknownGroup
from domain.ids import derive_id
from infra.contract.inbound.decoder import INVALID_FIELD, Rejection, decode
from infra.contract.inbound.interventions import (
    InvalidIntervention,
    encoded,
    intervention_message,
)
from tests.unit.ingest.conftest import NOW, SOURCE, T0, command, events, gid, msg, send

ROSTER = [
    msg("program.launched", {"program": "prog", "name": "P", "organisation": "O",
                             "cadence": "weekly"}),
    msg("coordinator.assigned", {"program": "prog", "coordinator": "staff-1", "name": "Dana",
                                 "contact": "dana@example.org"}),
    msg("group.formed", {"name": "Circle", "cadence": "weekly"}),
    msg("group.formed", {"name": "Circle B", "cadence": "weekly"}).replace(b'"g1"', b'"g2"'),
]  # fmt: skip


def test_an_intervention_message_becomes_the_domain_fact(app):
    met = {"coordinator": "staff-1", "kind": "meeting", "note": "met the facilitator"}
    send(app, *ROSTER, msg("intervention.logged", met, at=3))
    [logged] = [e for e in app.repository.event_store.get(gid()) if
                type(e).__name__ == "InterventionLogged"]  # fmt: skip
    assert (logged.coordinator_id, logged.kind, logged.note, logged.merged_into) == (
        derive_id("coordinator", SOURCE, "staff-1"),
        "meeting",
        "met the facilitator",
        None,
    )
    assert logged.timestamp == T0 + timedelta(days=3)


def test_merged_names_the_other_group_by_the_senders_id_and_dissolves_this_one(app):
    send(app, *ROSTER, msg("intervention.logged", {"coordinator": "staff-1", "kind": "merged",
                                                   "merged_into": "g2"}, at=4))  # fmt: skip
    assert events(app, gid())[-2:] == ["InterventionLogged", "Dissolved"]
    assert app.get_group(gid()).closed == ["dissolved", f"merged into group {gid('g2')}"]


def test_an_intervention_on_a_group_never_heard_of_is_a_domain_error_naming_it(app):
    send(app, *ROSTER)
    ghost = msg("intervention.logged", {"coordinator": "staff-1", "kind": "call"}, at=3)
    ghost = ghost.replace(b'"group": "g1"', b'"group": "circle-404"')
    with pytest.raises(UnknownGroup, match="'circle-404'") as caught, app.batch():
        apply(app, command(ghost))
    assert caught.value.code == "unknown-group"
    with pytest.raises(UnknownGroup):
        app.get_group(gid("circle-404"))


def test_a_merge_without_its_target_is_refused_at_the_door():
    raw = msg("intervention.logged", {"coordinator": "staff-1", "kind": "merged"})
    rejection = decode(raw, None, NOW)
    assert isinstance(rejection, Rejection) and rejection.code == INVALID_FIELD
    assert "merged_into is required for kind 'merged'" in rejection.reason


def test_the_builder_makes_a_message_ingest_applies(app):
    send(app, *ROSTER)
    built = intervention_message(source=SOURCE, program="prog", group="g1",
                                 coordinator="staff-1", kind="ended",
                                 occurred_at=T0 + timedelta(days=5), note="term over")  # fmt: skip
    send(app, encoded(built))
    assert events(app, gid())[-2:] == ["InterventionLogged", "Concluded"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kind": "coffee"}, "data.kind: Input should be 'call', 'message', 'meeting', 'merged' or "
                             "'ended'"),
        ({"note": "x" * 501}, "data.note: String should have at most 500 characters"),
        ({"kind": "call", "merged_into": "g2"}, "merged_into is required for kind 'merged' and "
                                                "only allowed there"),
    ],
)  # fmt: skip
def test_the_builder_refuses_bad_values_in_one_line_naming_the_field(change, reason):
    values = {"source": SOURCE, "program": "prog", "group": "g1", "coordinator": "staff-1",
              "kind": "call", "occurred_at": T0, **change}  # fmt: skip
    with pytest.raises(InvalidIntervention) as caught:
        intervention_message(**values)
    assert reason in str(caught.value) and "\n" not in str(caught.value)

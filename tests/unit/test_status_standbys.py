"""``peerpulse status`` names the relay's standbys beside its active process (decision 0022)."""

from __future__ import annotations

from api.status import RoleStatus
from infra.lock_holder import Holder
from peerpulse.commands.status import process


def test_the_relay_row_and_json_name_the_active_process_and_its_standbys():
    relay = RoleStatus("relay", "relay", "relay:ev", "ev", Holder(77, "10.0.0.5"), 2,
                       standbys=(Holder(78, "10.0.0.6"), Holder(79)))  # fmt: skip
    assert process(relay) == "pid 77 @ 10.0.0.5, standby pid 78 @ 10.0.0.6, standby pid 79"
    assert relay.to_dict()["standbys"] == [{"pid": 78, "host": "10.0.0.6"},
                                           {"pid": 79, "host": None}]  # fmt: skip
    alone = RoleStatus("relay", "relay", "relay:ev", "ev", None, 2, standbys=(Holder(78),))
    assert process(alone) == "not running, standby pid 78" and not alone.running

"""``peerpulse status`` names every alert router sharing the role on PostgreSQL (decision
0023), and says the topic's partitions are split among them."""

from __future__ import annotations

from api.status import RoleStatus
from infra.lock_holder import Holder
from peerpulse.commands.status import process


def test_routers_sharing_the_role_are_all_named_and_share_the_partitions():
    routers = (Holder(77, "10.0.0.5"), Holder(78, "10.0.0.6"))
    alerts = RoleStatus("alerts", "alert router", "alerts", "al", routers[0], 6,
                        processes=routers)  # fmt: skip
    assert process(alerts) == "pid 77 @ 10.0.0.5, pid 78 @ 10.0.0.6"
    assert alerts.running and alerts.owns == "6 shared by 2"
    assert alerts.to_dict()["processes"] == [{"pid": 77, "host": "10.0.0.5"},
                                             {"pid": 78, "host": "10.0.0.6"}]  # fmt: skip


def test_one_router_reads_as_before():
    alone = RoleStatus("alerts", "alert router", "alerts", "al", Holder(77), 6,
                       processes=(Holder(77),))  # fmt: skip
    assert process(alone) == "pid 77" and alone.owns == "all 6"

"""A deterministic synthetic attendance stream and an event-store fingerprint to compare runs."""

from __future__ import annotations

from typing import Any

from domain.ids import derive_id
from tests.integration.ingest_kit import message

SOURCE = "lms.test"
MEMBERS = 5


def synthetic_stream(total: int, groups: int = 200) -> list[tuple[bytes, bytes]]:
    """``total`` (key, value) messages: rosters, then weekly sessions marked one by one."""
    out: list[tuple[bytes, bytes]] = []
    for g in range(groups):
        program, group = f"prog{g}", f"g{g}"
        key = program.encode()
        out.append(
            (
                key,
                message(
                    "program.launched",
                    {"name": program, "organisation": "O", "cadence": "weekly"},
                    program=program,
                ),
            )
        )
        out.append(
            (
                key,
                message(
                    "group.formed",
                    {"name": group, "cadence": "weekly"},
                    group=group,
                    program=program,
                ),
            )
        )
        for m in range(MEMBERS):
            out.append(
                (
                    key,
                    message(
                        "member.joined",
                        {"member": f"{group}-m{m}"},
                        at=0.01,
                        group=group,
                        program=program,
                    ),
                )
            )
    week = 0
    while len(out) < total:
        for g in range(groups):
            for m in range(MEMBERS):
                status = ("present", "absent", "excused")[(g + m + week) % 3 if m else 0]
                out.append(
                    (
                        f"prog{g}".encode(),
                        message(
                            "attendance.marked",
                            {"session": f"w{week}", "member": f"g{g}-m{m}", "status": status},
                            at=7 * week + 1 + m / 100,
                            group=f"g{g}",
                            program=f"prog{g}",
                        ),
                    )
                )
        week += 1
    return out[:total]  # fmt: skip


def aggregate_ids(groups: int = 200) -> list[Any]:
    """Every program and group the synthetic stream touches."""
    ids = []
    for g in range(groups):
        ids.append(derive_id("program", SOURCE, f"prog{g}"))
        ids.append(derive_id("group", SOURCE, f"g{g}"))
    return ids


def fingerprint(app: Any, ids: list[Any]) -> dict[Any, list[tuple]]:
    """Each aggregate's events as comparable tuples (type, version, time, payload)."""
    out = {}
    for aggregate_id in ids:
        out[aggregate_id] = [
            (type(e).__name__, e.originator_version, e.timestamp,
             sorted((k, repr(v)) for k, v in vars(e).items()
                    if k not in ("originator_id", "originator_version", "timestamp")))
            for e in app.repository.event_store.get(aggregate_id)
        ]  # fmt: skip
    return out

"""The event catalogue as docs/contract/EVENTS.md documents it (shared by the contract tests)."""

from __future__ import annotations

import re
from pathlib import Path

EVENTS_MD = Path(__file__).parents[3] / "docs/contract/EVENTS.md"
ROW = re.compile(r"^\| `[A-Z].*$", re.M)


def catalogue() -> dict[str, str]:
    """wire type -> domain event, read from the tables of EVENTS.md.

    A row may list siblings: `Group.CommitmentKept` / `Missed` with
    `peerpulse.commitment.kept.v1` / `.missed.v1`.
    """
    pairs = {}
    for row in ROW.finditer(EVENTS_MD.read_text()):
        domain_cell, type_cell = row.group(0).split("|")[1:3]
        domains = re.findall(r"`([^`]+)`", domain_cell)
        types = re.findall(r"`([^`]+)`", type_cell)
        stem = re.sub(r"[A-Z][a-z]+$", "", domains[0])
        prefix = types[0].rsplit(".", 2)[0]
        for i, (domain, wire) in enumerate(zip(domains, types, strict=True)):
            pairs[prefix + wire if i else wire] = stem + domain if i else domain
    return pairs

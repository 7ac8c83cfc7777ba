"""``peerpulse store``: inspect the event store (where it is, how many events it holds)."""

from __future__ import annotations

import argparse

from infra.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("store", help="show where the event store is")
    p.set_defaults(handler=_info)


def _info(args: argparse.Namespace, settings: Settings) -> int:
    where = settings.sqlite_path if settings.store == "sqlite" else settings.postgres_dsn
    print(f"event store: {settings.store} at {where}")
    return 0

"""``peerpulse db upgrade|current``: the durable stores' schema revisions (decision 0018).

Every service also brings the stores it opens to head when it starts, so ``db upgrade`` is
for doing it once, on purpose, before the services (a deploy step) — and for seeing what
it did. The read model is not migrated: it is rebuilt (``peerpulse rebuild``).
"""

from __future__ import annotations

import argparse

from infra.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``db upgrade`` and ``db current``."""
    p = sub.add_parser("db", help="upgrade the alert, token, vault and event stores' schema")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dsub.add_parser(
        "upgrade", help="bring every store to the newest revision (adopting a store an "
        "older release made); services also do this when they start",
    )  # fmt: skip
    up.set_defaults(handler=_upgrade)
    cur = dsub.add_parser("current", help="show each store's revision and the newest one")
    cur.add_argument(
        "--check", action="store_true", help="exit 3 unless every store is at the newest"
    )
    cur.set_defaults(handler=_current)


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from infra.migrations.runner import upgrade

    print(f"stores: {_where(settings)}")
    for outcome in upgrade(settings):
        print(outcome)
    return 0


def _current(args: argparse.Namespace, settings: Settings) -> int:
    from infra.migrations.runner import current

    print(f"stores: {_where(settings)}")
    behind = 0
    for store, revision, head in current(settings):
        if revision == head:
            state = f"{revision} (head)"
        else:
            behind += 1
            state = f"{revision or 'not created yet'} (newest is {head}: peerpulse db upgrade)"
        print(f"{store.name}: {state}")
    return 3 if args.check and behind else 0


def _where(settings: Settings) -> str:
    if settings.store == "sqlite":
        return f"sqlite files under {settings.data_dir}/"
    return f"postgres schema {settings.postgres_schema or 'public'}"

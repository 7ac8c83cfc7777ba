"""``peerpulse contract``: regenerate (or check) the committed JSON Schemas and examples."""

from __future__ import annotations

import argparse
from pathlib import Path

from infra.errors import UserFacingError
from infra.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``contract schemas [--check] [--root DIR]``."""
    p = sub.add_parser("contract", help="wire contract of peerpulse.events.v1")
    csub = p.add_subparsers(dest="contract_command", metavar="ACTION", required=True)
    s = csub.add_parser(
        "schemas", help="write docs/contract/schemas/*.json and the README examples"
    )
    s.add_argument("--check", action="store_true", help="only fail if a file is stale")
    s.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: .)")
    s.set_defaults(handler=_schemas)


def _schemas(args: argparse.Namespace, settings: Settings) -> int:
    from infra.contract.docs import stale_files, write_all

    root: Path = args.root
    if not (root / "docs/contract").is_dir():
        raise UserFacingError(f"{root}/docs/contract not found: run from the repository root")
    if args.check:
        stale = stale_files(root)
        if stale:
            names = ", ".join(str(p.relative_to(root)) for p in stale)
            raise UserFacingError(f"stale (run `peerpulse contract schemas`): {names}")
        print("contract docs are up to date")
        return 0
    changed = write_all(root)
    for path in changed:
        print(f"wrote {path.relative_to(root)}")
    print(f"{len(changed)} file(s) changed")
    return 0

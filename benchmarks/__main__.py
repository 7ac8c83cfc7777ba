"""``python -m benchmarks [--only NAME ...] [--output PATH]``: run benchmarks, write BENCHMARKS.md.

Progress goes to stdout as each module runs. Exit code 1 if any module failed (its error
is in the report), 2 for an unknown ``--only`` name.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.report import HERE, discover, document, existing_sections, machine, run_module
from benchmarks.report import section as render_section


def main(
    argv: Sequence[str] | None = None, package: str = "benchmarks", folder: Path = HERE
) -> int:
    """Run the selected benchmarks and (re)write the report; non-zero if any failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", metavar="NAME", help="run just this module")
    parser.add_argument("--output", type=Path, default=HERE.parent / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    names = discover(folder)
    unknown = sorted(set(args.only or ()) - set(names))
    if unknown:
        print(f"benchmarks: no module {', '.join(unknown)} (have: {', '.join(names)})",
              file=sys.stderr)  # fmt: skip
        return 2
    selected = [n for n in names if not args.only or n in args.only]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = (
        existing_sections(args.output.read_text()) if args.only and args.output.exists() else {}
    )
    failed = []
    for i, name in enumerate(selected, 1):
        print(f"[{i}/{len(selected)}] {name}: running", flush=True)
        result = run_module(name, package)
        if result is None:
            print(f"[{i}/{len(selected)}] {name}: no run() — skipped", flush=True)
            continue
        status = f"FAILED: {result.error.splitlines()[0]}" if result.error else "ok"
        print(f"[{i}/{len(selected)}] {name}: {status} ({result.seconds:.1f} s)", flush=True)
        if result.error:
            failed.append(name)
        sections[name] = render_section(result, when)
    args.output.write_text(document(sections, machine(), when))
    print(f"wrote {args.output}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

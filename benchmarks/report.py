"""The benchmark runner: runs every ``benchmarks/*.py`` with a ``run()`` and writes BENCHMARKS.md.

Each module's ``run() -> list[dict]`` returns one dict per figure; the report shows them as
a table (columns: the union of the keys), adding ``ratio`` = value / baseline where a row
carries both. A module that fails is reported with its error and makes the runner exit
non-zero at the end; the others still run. ``--only NAME`` reruns some modules and
replaces just their sections of an existing BENCHMARKS.md.
"""

from __future__ import annotations

import importlib
import math
import os
import platform
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORDER = ("eventstore", "relay", "ingest", "projections", "detection")
SKIP = frozenset({"report", "__main__", "__init__"})


@dataclass
class Result:
    """One module's figures, or the error that stopped it."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    doc: str = ""


def discover(folder: Path = HERE) -> list[str]:
    """Benchmark module names: the known ones in pipeline order, then any others by name."""
    names = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")} - SKIP
    return [n for n in ORDER if n in names] + sorted(names - set(ORDER))


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python and OS of this machine."""
    cpu = platform.processor() or platform.machine()
    ram = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        ram = f"{pages * size / 2**30:.1f} GiB"
    except (OSError, ValueError, AttributeError):
        pass
    return {
        "CPU": cpu, "cores": str(os.cpu_count() or "?"), "RAM": ram,
        "Python": platform.python_version(), "OS": platform.platform(),
    }  # fmt: skip


def run_module(name: str, package: str = "benchmarks") -> Result | None:
    """Import and run one module; None if it has no ``run``. Never raises (but ^C)."""
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"{package}.{name}")
        run = getattr(module, "run", None)
        if not callable(run):
            return None
        doc = (module.__doc__ or "").strip().splitlines()
        rows = list(run())
        if not all(isinstance(r, dict) for r in rows):
            raise TypeError("run() must return a list of dicts")
        return Result(name, rows, time.perf_counter() - started, doc=doc[0] if doc else "")
    except Exception as exc:
        last = traceback.format_exception(exc)[-3:]
        error = f"{type(exc).__name__}: {exc}\n{''.join(last).rstrip()}"
        return Result(name, seconds=time.perf_counter() - started, error=error)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return (
            "n/a" if math.isnan(value) else f"{value:.3g}" if abs(value) < 1e4 else f"{value:,.0f}"
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 1e4 else str(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def _with_ratio(row: dict[str, Any]) -> dict[str, Any]:
    value, base = row.get("value"), row.get("baseline")
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (value, base))
    if "ratio" in row or not numeric or not base:
        return row
    out = dict(row)
    out["ratio"] = round(value / base, 3)
    return out


def table(rows: list[dict[str, Any]]) -> str:
    """A markdown table of ``rows`` (columns in first-seen key order)."""
    rows = [_with_ratio(r) for r in rows]
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    if not columns:
        return "_no figures_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def section(result: Result, when: str) -> str:
    """One module's section, fenced by markers so ``--only`` can replace it."""
    head = f"<!-- module:{result.name} -->\n## {result.name}\n"
    if result.doc:
        head += f"\n{result.doc}\n"
    head += f"\nMeasured {when} in {result.seconds:.1f} s.\n\n"
    if result.error:
        body = f"**ERROR** — this benchmark failed:\n\n```\n{result.error}\n```"
    else:
        body = table(result.rows)
    return f"{head}{body}\n<!-- /module:{result.name} -->"


def document(sections: dict[str, str], info: dict[str, str], when: str) -> str:
    """The whole BENCHMARKS.md: header, machine, then the sections in pipeline order."""
    lines = [
        "# peerpulse benchmarks",
        "",
        "Generated by `python -m benchmarks` (`make bench`); do not edit by hand.",
        f"Last run: {when}. Ratios compare each figure with its baseline from the same run.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {_cell(v)} |" for k, v in info.items()],
        "",
    ]
    order = [n for n in ORDER if n in sections] + sorted(set(sections) - set(ORDER))
    return "\n".join(lines) + "\n" + "\n\n".join(sections[n] for n in order) + "\n"


def existing_sections(text: str) -> dict[str, str]:
    """The module sections of an earlier BENCHMARKS.md, by module name."""
    out: dict[str, str] = {}
    for chunk in text.split("<!-- module:")[1:]:
        name, _, rest = chunk.partition(" -->")
        end = f"<!-- /module:{name} -->"
        if end in rest:
            out[name] = f"<!-- module:{name} -->{rest.split(end)[0]}{end}"
    return out

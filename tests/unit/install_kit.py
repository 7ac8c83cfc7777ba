"""Shared by the install tests: pyproject's requirements, the lock's pins, the installed closure."""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
LOCK = ROOT / "constraints.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def runtime_requirements() -> list[Requirement]:
    """``[project] dependencies``: what the production image installs (no extra)."""
    return [Requirement(r) for r in PROJECT["dependencies"]]


def all_requirements() -> list[Requirement]:
    """The runtime requirements plus those of every extra (test, embedded, …)."""
    extras = PROJECT.get("optional-dependencies", {}).values()
    return runtime_requirements() + [Requirement(r) for reqs in extras for r in reqs]


def locked(text: str | None = None) -> dict[str, str]:
    """``{canonical name: version}`` of every ``name==version`` line of the lock."""
    lines = (LOCK.read_text() if text is None else text).splitlines()
    return {canonicalize_name(m[1]): m[2] for m in map(PIN.match, lines) if m}


def _applies(req: Requirement, extras: Iterable[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": extra}) for extra in (*extras, ""))


def installed_closure(roots: Iterable[Requirement]) -> tuple[dict[str, str], set[str]]:
    """Walk the requirements of ``roots`` through the installed distributions' metadata,
    markers and requested extras evaluated: ``({name: installed version}, {not installed})``."""
    found: dict[str, str] = {}
    missing: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [r for r in roots if _applies(r, ())]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            missing.add(name)
            continue
        found[name] = dist.version
        subs = (Requirement(r) for r in dist.requires or [])
        todo.extend(r for r in subs if _applies(r, req.extras))
    return found, missing

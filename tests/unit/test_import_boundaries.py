"""The arrows hold: the pure domain imports no infrastructure, edges or drivers."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "infra",
    "projections",
    "consumers",
    "api",
    "kafka",
    "faust",
    "aiokafka",
    "psycopg",
    "sqlite3",
    "fastapi",
)


def test_import_linter_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    result = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (
        "domain is pure",
        "projections floors",
        "projection core is pure",
        "projections read no consumer",
        "consumers know nothing of the API",
    ):
        assert f"{contract}" in result.stdout, f"contract missing: {contract}"


def test_domain_modules_import_nothing_forbidden() -> None:
    offenders = []
    for path in sorted((ROOT / "domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_domain_reads_neither_clock_nor_environment() -> None:
    reads = {
        ("os", "environ"),
        ("os", "getenv"),
        ("datetime", "now"),
        ("datetime", "utcnow"),
        ("datetime", "today"),
        ("time", "time"),
        ("time", "monotonic"),
        ("date", "today"),
    }
    offenders = []
    for path in sorted((ROOT / "domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id, node.attr) in reads
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == []

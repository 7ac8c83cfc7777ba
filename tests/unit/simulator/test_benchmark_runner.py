"""``python -m benchmarks``: runs every module, reports failures, exits non-zero."""

from __future__ import annotations

import sys
import textwrap

import pytest

from benchmarks.__main__ import main
from benchmarks.report import machine, table

GOOD = '''
"""Good figures."""
def run():
    print("working")
    return [{"name": "speed", "value": 50.0, "baseline": 100.0, "unit": "ops/s"}]
'''
BAD = '''
"""Broken figures."""
def run():
    raise RuntimeError("broker went away")
'''
HELPER = "X = 1\n"


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throwaway benchmarks package: good, bad, a helper without run()."""
    pkg = tmp_path / "fakebench"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, code in (("good", GOOD), ("bad", BAD), ("helper", HELPER)):
        (pkg / f"{name}.py").write_text(textwrap.dedent(code))
    monkeypatch.syspath_prepend(str(tmp_path))
    _forget(monkeypatch)
    return pkg


def _forget(monkeypatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "fakebench"]:
        monkeypatch.delitem(sys.modules, name)


def test_a_failing_module_is_reported_and_the_run_exits_non_zero(package, tmp_path, capsys):
    out = tmp_path / "BENCHMARKS.md"
    code = main(["--output", str(out)], package="fakebench", folder=package)
    assert code == 1
    text = out.read_text()
    assert "## good" in text and "| 0.5 |" in text, "ratio value/baseline"
    assert "## bad" in text and "**ERROR**" in text and "broker went away" in text
    assert "helper" not in text
    printed = capsys.readouterr().out
    assert "good: ok" in printed and "bad: FAILED: RuntimeError: broker went away" in printed
    assert "working" in printed


def test_only_replaces_its_own_section(package, tmp_path, monkeypatch):
    out = tmp_path / "BENCHMARKS.md"
    main(["--output", str(out)], package="fakebench", folder=package)
    (package / "bad.py").write_text(GOOD.replace("speed", "fixed"))
    _forget(monkeypatch)
    assert main(["--only", "bad", "--output", str(out)], package="fakebench", folder=package) == 0
    text = out.read_text()
    assert "**ERROR**" not in text and "fixed" in text and "| speed |" in text


def test_unknown_only_name_is_a_usage_error(package, tmp_path, capsys):
    assert main(["--only", "nope", "--output", str(tmp_path / "B.md")],
                package="fakebench", folder=package) == 2  # fmt: skip
    assert "no module nope" in capsys.readouterr().err


def test_machine_names_cpu_cores_ram_python_os():
    assert set(machine()) == {"CPU", "cores", "RAM", "Python", "OS"}


def test_table_unions_columns_and_formats_numbers():
    text = table([{"case": "a", "events_per_s": 12345.6}, {"case": "b", "extra": float("nan")}])
    assert "| case | events_per_s | extra |" in text
    assert "12,346" in text and "n/a" in text

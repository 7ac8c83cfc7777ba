"""``peerpulse --help`` reads by group, ``--version`` answers, a bad choice is one line."""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import subprocess
import sys

from peerpulse import cli


def _peerpulse(*args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PEERPULSE_DATA_DIR": str(tmp_path / "pp")}
    return subprocess.run(
        [sys.executable, "-m", "peerpulse", *args],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )  # fmt: skip


def _sections(text: str) -> dict[str, list[str]]:
    """``{"run": ["up", "demo", …], …}`` from the help's group listing."""
    sections: dict[str, list[str]] = {}
    current = None
    for row in text.splitlines():
        if re.fullmatch(r"[a-z]+:", row):
            current = sections.setdefault(row[:-1], [])
        elif current is not None and row.startswith("  ") and row.strip():
            current.append(row.split()[0])
        elif not row.strip():
            current = None
    return sections


def test_help_lists_every_command_once_under_run_operate_data(tmp_path):
    done = _peerpulse("--help", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    sections = _sections(done.stdout.split("options:")[0])
    assert {"up", "demo", "worker", "relay", "ingest", "api"} <= set(sections["run"])
    assert {"rebuild", "alerts", "tokens", "topics"} <= set(sections["operate"])
    assert {"import", "simulate", "members"} <= set(sections["data"])
    assert "other" not in sections, "every command belongs to a group"
    listed = [name for names in sections.values() for name in names]
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = set(commands.choices)
    assert sorted(listed) == sorted(registered)  # each exactly once
    assert "{" not in done.stdout.split("options:")[0]  # no {store,alerts,…} metavar soup


def test_help_says_where_settings_come_from(tmp_path):
    out = _peerpulse("--help", tmp_path=tmp_path).stdout
    epilog = out.split("options:")[1]
    assert "PEERPULSE_* environment variables" in epilog and ".env" in epilog
    assert "infra/settings.py" in epilog


def test_version_is_the_installed_distributions(tmp_path):
    done = _peerpulse("--version", tmp_path=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"peerpulse {importlib.metadata.version('peerpulse')}"


def test_a_bogus_status_is_refused_in_one_line_with_exit_2(tmp_path):
    done = _peerpulse("alerts", "list", "--status", "bogus", tmp_path=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("peerpulse alerts list: argument --status: invalid choice: 'bogus'")
    assert "'acknowledged'" in line and "'open'" in line
    assert not (tmp_path / "pp").exists(), "refused before touching any store"


def test_an_unknown_command_is_one_line(tmp_path):
    done = _peerpulse("rebuidl", tmp_path=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "invalid choice: 'rebuidl'" in line and "see peerpulse --help" in line


def test_every_status_offered_is_one_the_store_filters_on():
    from consumers.alerts.model import OPEN_STATUSES, RESOLVED
    from peerpulse.commands.alerts import STATUSES

    assert set(STATUSES) == {*OPEN_STATUSES, RESOLVED, "open"}

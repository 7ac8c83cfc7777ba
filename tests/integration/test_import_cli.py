"""``peerpulse import`` as its own process: exit codes and one-line reports per row."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.unit.ingest.csv_samples import GOOD, HEADER


def run_cli(tmp_path, *args):
    env = {**os.environ, "PEERPULSE_DATA_DIR": str(tmp_path / "pp"), "PEERPULSE_STORE": "sqlite"}
    return subprocess.run([sys.executable, "-m", "peerpulse", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)  # fmt: skip


def test_cli_reports_rejected_rows_and_exits_non_zero(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + GOOD + "lms.example,prog,g1,s3,2025-01-28,,present\n")
    done = run_cli(tmp_path, "import", str(path))
    assert done.returncode == 1, done.stderr
    assert "row 5, column member: is empty" in done.stderr
    assert "imported 3 rows in 2 sessions; 1 rejected" in done.stderr


def test_a_field_over_the_csv_modules_limit_is_one_rejected_row_not_a_crash(tmp_path):
    path = tmp_path / "export.csv"
    huge = "lms.example,prog," + "g" * 140_000 + ",s9,2025-01-28,stu-1,present\n"
    path.write_text(HEADER + huge + GOOD)
    done = run_cli(tmp_path, "import", str(path))
    assert done.returncode == 1, done.stderr
    assert "row 2, column row: cannot be read as CSV: field larger than field limit" in done.stderr
    assert "imported 3 rows in 2 sessions; 1 rejected" in done.stderr  # GOOD's rows all in
    assert "unexpected" not in done.stderr


def test_cli_missing_file_is_one_line_and_exit_2(tmp_path):
    done = run_cli(tmp_path, "import", str(tmp_path / "nope.csv"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "no such file" in done.stderr

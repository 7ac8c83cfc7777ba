"""``peerpulse onboard`` and ``peerpulse unmatched`` on a real SQLite store (decision 0021):
the example files create a program, then report ``unchanged``; ``--dry-run`` changes
nothing; bad rows are reported by file, row and column; coordinators, roles and leaves
change; held attendance is listed, mapped and rejected from the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from domain.errors import UnknownProgram
from domain.ids import derive_id
from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse import cli
from peerpulse.build import build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "onboarding"
FILES = sorted(str(p) for p in EXAMPLES.glob("*.csv"))
SOURCE = "lms.northbridge.example"
PROGRAM = derive_id("program", SOURCE, "founders-2026")


def run(settings: Settings, *argv: str) -> int:
    args = cli.build_parser().parse_args(list(argv))
    return args.handler(args, settings)


def onboard(settings: Settings, *argv: str) -> int:
    return run(settings, "onboard", "--source", SOURCE, *argv)


def store(settings: Settings):
    return build(settings)


def test_a_dry_run_reports_every_row_as_create_and_changes_nothing(sqlite_settings, capsys):
    assert onboard(sqlite_settings, "--dry-run", *FILES) == 0
    out, err = capsys.readouterr()
    assert out.count("create") == 21 and "would 21 create" in err
    parts = store(sqlite_settings)
    try:
        with pytest.raises(UnknownProgram):
            parts.app.get_program(PROGRAM)
    finally:
        parts.close()


def test_the_example_files_onboard_a_program_and_a_second_run_is_unchanged(
    sqlite_settings, capsys
):  # fmt: skip
    assert onboard(sqlite_settings, *FILES) == 0
    parts = store(sqlite_settings)
    try:
        program = parts.app.get_program(PROGRAM)
        assert (program.name, program.cadence, program.auto_create, program.provisional) == (
            "Founders Circles 2026", "fortnightly", False, False)  # fmt: skip
        assert len(program.coordinators) == 2
        contact = parts.app.coordinator_contact(PROGRAM, derive_id("coordinator", SOURCE,
                                                                   "staff-lee"))  # fmt: skip
        assert (contact.name, contact.time_zone, contact.digest) == (
            "Lee Park", "America/New_York", "immediate")  # fmt: skip
        circle1 = parts.app.get_group(derive_id("group", SOURCE, "circle-1"))
        assert circle1.name == "Circle 1 - climate founders"
        assert sorted(circle1.members.values()) == ["facilitator", "mentor", "peer", "peer"]
    finally:
        parts.close()
    capsys.readouterr()
    assert onboard(sqlite_settings, "--dry-run", *FILES) == 0
    out, err = capsys.readouterr()
    assert out.count("unchanged") == 21 and "would 0 create, 0 change, 0 leave, 21 unchanged" in err


def test_bad_rows_are_reported_with_their_column_and_the_good_ones_applied(
    sqlite_settings, tmp_path, capsys
):  # fmt: skip
    groups = tmp_path / "groups.csv"
    groups.write_text("program,group,name,cadence\n"
                      "p1,g1,Circle,weekly\n"
                      "p1,g2,,weekly\n"
                      "p1,g3,Circle 3,daily\n")  # fmt: skip
    assert onboard(sqlite_settings, str(groups)) == 1
    out, err = capsys.readouterr()
    assert "groups.csv: row 3, column name: is empty" in err
    assert "groups.csv: row 4, column cadence:" in err
    assert "groups.csv: row 2: create" in out and "1 create" in err and "2 rejected" in err


def test_a_file_that_cannot_be_read_is_one_line(sqlite_settings, tmp_path):
    odd = tmp_path / "people.csv"
    odd.write_text("a,b\n")
    with pytest.raises(UserFacingError, match="cannot tell what it holds"):
        onboard(sqlite_settings, str(odd))
    rosters = tmp_path / "rosters.csv"
    rosters.write_text("program,group,member,shoe_size\n")
    with pytest.raises(UserFacingError, match="unknown column.*shoe_size"):
        onboard(sqlite_settings, str(rosters))


def test_changes_to_a_coordinator_a_role_and_a_leave_are_reported_and_applied(
    sqlite_settings, tmp_path, capsys
):  # fmt: skip
    assert onboard(sqlite_settings, *FILES) == 0
    shutil.copy(EXAMPLES / "coordinators.csv", tmp_path / "coordinators.csv")
    text = (tmp_path / "coordinators.csv").read_text().replace("immediate,9", "daily,7")
    (tmp_path / "coordinators.csv").write_text(text)
    (tmp_path / "rosters.csv").write_text(
        "program,group,member,role,status\n"
        "founders-2026,circle-1,stu-1003,facilitator,\n"
        "founders-2026,circle-1,stu-1002,peer,left\n"
    )
    capsys.readouterr()
    assert onboard(sqlite_settings, str(tmp_path / "coordinators.csv"),
                   str(tmp_path / "rosters.csv")) == 0  # fmt: skip
    out, _ = capsys.readouterr()
    assert "digest 'immediate' -> 'daily'" in out and "digest_hour 9 -> 7" in out
    assert "role 'peer' -> 'facilitator'" in out and "leave     member stu-1002" in out
    parts = store(sqlite_settings)
    try:
        circle1 = parts.app.get_group(derive_id("group", SOURCE, "circle-1"))
        assert circle1.members[str(derive_id("member", SOURCE, "stu-1003"))] == "facilitator"
        assert str(derive_id("member", SOURCE, "stu-1002")) not in circle1.members
        lee = parts.app.coordinator_contact(PROGRAM, derive_id("coordinator", SOURCE, "staff-lee"))
        assert (lee.digest, lee.digest_hour) == ("daily", 7)
    finally:
        parts.close()


def test_unmatched_attendance_is_listed_mapped_and_rejected_from_the_command_line(
    sqlite_settings, tmp_path, capsys
):  # fmt: skip
    assert onboard(sqlite_settings, *FILES) == 0
    attendance = tmp_path / "attendance.csv"
    rows = [("circle-1", "stu-1001"), ("circle-1", "ada.l"), ("circle-1", "visitor")]
    attendance.write_text("source,program,group,session,session_date,member,status\n" + "".join(
        f"{SOURCE},founders-2026,{g},s1,2026-11-30,{m},present\n" for g, m in rows))  # fmt: skip
    assert run(sqlite_settings, "import", "--no-progress", str(attendance)) == 0
    assert "2 of them held as unmatched" in capsys.readouterr().err
    where = ("--source", SOURCE, "--program", "founders-2026")
    assert run(sqlite_settings, "unmatched", "list", *where) == 0
    listed = capsys.readouterr().out.splitlines()
    items = {line.split()[-2]: line.split()[0] for line in listed}
    assert set(items) == {"ada.l", "visitor"}
    assert run(sqlite_settings, "unmatched", "map", items["ada.l"], "--member", "stu-1001",
               "--by", "staff-dana", *where) == 0  # fmt: skip
    assert run(sqlite_settings, "unmatched", "reject", items["visitor"], "--reason", "a guest",
               *where) == 0  # fmt: skip
    assert run(sqlite_settings, "unmatched", "reject", items["visitor"], *where) == 1
    capsys.readouterr()
    assert run(sqlite_settings, "unmatched", "list", "--all", *where) == 0
    out = capsys.readouterr().out
    assert "mapped by staff-dana" in out and "rejected by operator (a guest)" in out
    parts = store(sqlite_settings)
    try:
        circle1 = parts.app.get_group(derive_id("group", SOURCE, "circle-1"))
        assert len(circle1.members) == 4  # no phantom joined
    finally:
        parts.close()

"""Spreadsheet import: rows become roll calls; bad rows are reported with row and column."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.ingest.csv_import import import_file
from consumers.ingest.csv_rows import MissingColumns, parse
from tests.unit.ingest.conftest import events, gid, mid, sid
from tests.unit.ingest.csv_samples import GOOD, HEADER

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_rows_of_one_session_become_one_roll_call():
    sessions, errors = parse((HEADER + GOOD).splitlines(True), NOW)
    assert errors == []
    assert [(s.key[3], s.marks, s.rows) for s in sessions] == [
        ("s1", {"ada": "present", "bob": "absent"}, [2, 3]),
        ("s2", {"ada": "excused"}, [4]),
    ]
    assert sessions[1].held_at == datetime(2025, 1, 21, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("lms,p,g,s,2025-01-14,,present", "member", "is empty"),
        ("lms,p,g,s,14/01/2025,ada,present", "session_date", "not an ISO date"),
        ("lms,p,g,s,2025-01-14T10:00:00,ada,present", "session_date", "no UTC offset"),
        ("lms,p,g,s,2025-01-14,ada,late", "status", "is not one of"),
        ("lms,p,g,s,2030-01-14,ada,present", "session_date", "future"),
        ("lms,p,g,s,1999-01-14,ada,present", "session_date", "ten years ago"),
    ],
)
def test_bad_rows_are_reported_with_row_number_and_column(row, column, reason):
    _, errors = parse((HEADER + GOOD + row + "\n").splitlines(True), NOW)
    assert [(e.row, e.column) for e in errors] == [(5, column)]
    assert reason in errors[0].reason


def test_contradicting_rows_within_a_session_are_reported():
    extra = "lms.example,prog,g1,s1,2025-01-14,ada,absent\n"
    _, errors = parse((HEADER + GOOD + extra).splitlines(True), NOW)
    assert str(errors[0]) == "row 5, column status: member already marked present in this session"


def test_missing_columns_stop_the_import():
    with pytest.raises(MissingColumns, match="session_date, member"):
        parse(["source,program,group,session,status\n"], NOW)


def test_import_applies_sessions_and_is_idempotent(app, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + GOOD + "lms.example,prog,g1,s3,2025-01-28,ada,maybe\n")
    report = import_file(app, path, NOW)
    assert (report.sessions, report.rows, [e.row for e in report.errors]) == (2, 3, [5])
    before = events(app, gid())
    assert app.get_group(gid()).sessions[str(sid("s1"))]["attendance"][str(mid("bob"))] == "absent"
    again = import_file(app, path, NOW)
    assert events(app, gid()) == before
    assert (again.sessions, len(again.errors)) == (2, 1)


def test_session_breaking_a_domain_rule_is_reported_and_the_rest_applied(app, tmp_path):
    cancelled = tmp_path / "a.csv"
    app_rows = HEADER + "lms.example,prog,g1,s1,2025-01-14,ada,present\n"
    cancelled.write_text(app_rows)
    import_file(app, cancelled, NOW)
    with app.batch():
        app.cancel_session(gid(), sid("s9"), "ill", NOW)
    path = tmp_path / "b.csv"
    path.write_text(HEADER + "lms.example,prog,g1,s9,2025-01-21,ada,present\n" + GOOD)
    report = import_file(app, path, NOW)
    assert [(e.row, e.column) for e in report.errors] == [(2, "session")]
    assert "session-cancelled" in report.errors[0].reason
    assert report.sessions == 2


@pytest.mark.parametrize(
    ("row", "column", "problem"),
    [
        ("lms,p,g,s,2025-01-14,a\x00da,present", "member", "U+0000"),
        ("lms,p,g\u202e,s,2025-01-14,ada,present", "group", "U+202E"),
        ("lms site,p,g,s,2025-01-14,ada,present", "source", "U+0020"),
    ],
)
def test_an_id_cell_with_a_control_or_bidi_character_is_reported_on_its_row(row, column, problem):
    _, errors = parse((HEADER + GOOD + row + "\n").splitlines(True), NOW)
    assert [(e.row, e.column) for e in errors] == [(5, column)]
    assert problem in errors[0].reason

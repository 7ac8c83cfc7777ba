"""A small valid attendance spreadsheet, shared by the CSV tests."""

HEADER = "source,program,group,session,session_date,member,status\n"
GOOD = (
    "lms.example,prog,g1,s1,2025-01-14,ada,present\n"
    "lms.example,prog,g1,s1,2025-01-14,bob,ABSENT\n"
    "lms.example,prog,g1,s2,2025-01-21T17:00:00+01:00,ada,excused\n"
)

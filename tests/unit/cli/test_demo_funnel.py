"""The demo summary's funnel line: the program page's counts, and the comparison without
outreach derived from them."""

from __future__ import annotations

from peerpulse.commands.demo import FUNNEL, funnel_lines


def _row(program: str, **counts: int) -> dict:
    return {"program": program, **dict.fromkeys(FUNNEL, 0), **counts}


def test_a_program_funnel_reads_flagged_reached_recovered_and_the_comparison() -> None:
    row = _row("Cohort A", flagged=33, reached_out=4, recovered=3, reached_out_recovered=1,
               went_dormant=26, still_at_risk=4)  # fmt: skip
    assert funnel_lines([row]) == [
        "Cohort A: flagged 33 → reached out 4 → recovered 3 (after outreach: 1 of 4; "
        "without outreach: 2 of 29; 26 went dormant, 4 still at risk)"
    ]


def test_one_line_per_program_and_a_line_when_nothing_was_flagged() -> None:
    lines = funnel_lines([_row("A", flagged=1), _row("B", flagged=2, reached_out=2)])
    assert [line.split(":")[0] for line in lines] == ["A", "B"]
    assert "→ recovered 0 (after outreach: 0 of 2; without outreach: 0 of 0" in lines[1]
    assert funnel_lines([]) == ["no flag episodes yet"]

"""The program page's "flagged → reached out → recovered" line (decision 0019).

From the read model's ``program_episodes``: groups flagged at risk since the program
launched, those a coordinator reached out to between the flag and its outcome, and those
that recovered (a held session with a healthy level within 3 periods of the flag). The
same counts end every digest and are exported as ``peerpulse_projection_flag_episodes``.
"""

from __future__ import annotations

from typing import Any

from api.dashboard.html import h


def outcomes_line(counts: dict[str, Any] | None) -> str:
    """The line, with what each number means and the other outcomes beside it."""
    c = {k: int(v or 0) for k, v in (counts or {}).items() if k != "program_id"}
    steps = " → ".join(
        f'<span class="step"><strong>{c.get(k, 0)}</strong> {words}</span>'
        for k, words in (("flagged", "flagged"), ("reached_out", "reached out"),
                         ("recovered", "recovered"))
    )  # fmt: skip
    rest = (f"{c.get('reached_out_recovered', 0)} of the recovered had been reached out to; "
            f"{c.get('went_dormant', 0)} went dormant, {c.get('ended', 0)} ended, "
            f"{c.get('still_at_risk', 0)} still at risk, {c.get('recovered_late', 0)} "
            "recovered later than 3 periods.")  # fmt: skip
    return (f'<section aria-labelledby="loop-h" id="loop"><h2 id="loop-h">Flagged → reached '
            f'out → recovered</h2><p class="loop">{steps}</p><p class="meta">Groups flagged '
            f"at risk since the program launched. {h(rest)}</p></section>")  # fmt: skip

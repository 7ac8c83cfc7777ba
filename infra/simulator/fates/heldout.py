"""The held-out fate family: never simulated for tuning, only for the held-out report.

``host_leaves`` is shaped unlike every tuning family on purpose. The facilitator who
runs the group stops coming; the others keep turning up for a while, but sessions are
more and more often **cancelled in advance, without a new date** ("no one to run it"),
and the calendar keeps sending — and cancelling — the invite after the last session. A
detector that learnt "cancellations mean the group is alive" from the tuning families
(where cancellations come from healthy and pausing groups) is fooled here; one that
judges held sessions against the group's own rhythm is not. Decision 0011.
"""

from __future__ import annotations

from dataclasses import replace
from random import Random

from infra.simulator.fates.tuning import GHOST, after_death, lerp, span, start_before
from infra.simulator.plan import Phase, Shape

NO_HOST = "facilitator unavailable, no one to run it"


def host_leaves(rng: Random, n: int, base: Phase) -> Shape:
    """The facilitator stops coming, cancellations without a new date multiply, silence."""
    length = span(rng, 3, 5, n)
    k0 = start_before(rng, 1, n, length)
    phases = [base] * k0
    for i in range(length):
        f = (i + 1) / length
        phases.append(replace(base, host_absent=True, meets=lerp(base.meets, 0.3, f),
                              attend=lerp(base.attend, 0.6, f), commit=lerp(base.commit, 0.3, f),
                              cancel_share=1.0, cancel_reason=NO_HOST))  # fmt: skip
    last_held = len(phases) - 1
    leavers = {last_held: 1} if rng.random() < 0.5 else {}
    cancelled = replace(GHOST, cancel_share=1.0, cancel_reason=NO_HOST)
    phases += after_death(n, len(phases), rng.randint(1, 2), cancelled)
    return Shape(phases[:n], dies=True, leavers=leavers, decline=k0)

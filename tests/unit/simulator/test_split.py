"""The tuning / held-out split: disjoint seeds, the held-out family kept out of tuning."""

from __future__ import annotations

import pytest

from infra.simulator import (
    DYING,
    HELDOUT_FAMILY,
    HELDOUT_SEEDS,
    TUNING_FAMILIES,
    TUNING_SEEDS,
    simulate,
    simulate_heldout,
    simulate_tuning,
)
from tests.unit.simulator.views import END


def test_seed_sets_are_disjoint_and_twenty_each():
    assert len(set(TUNING_SEEDS)) == len(set(HELDOUT_SEEDS)) == 20
    assert not set(TUNING_SEEDS) & set(HELDOUT_SEEDS)


def test_the_heldout_family_is_a_dying_family_outside_tuning():
    assert HELDOUT_FAMILY in DYING and HELDOUT_FAMILY not in TUNING_FAMILIES
    assert set(TUNING_FAMILIES) & DYING, "tuning still has dying families to learn from"


def test_no_tuning_program_contains_the_heldout_family():
    for seed in TUNING_SEEDS:
        sim = simulate_tuning(seed, END)
        assert HELDOUT_FAMILY not in {t.fate for t in sim.truth} | set(sim.families), seed
        assert {t.fate for t in sim.truth} == set(TUNING_FAMILIES), "every tuning family appears"


@pytest.mark.parametrize("seed", HELDOUT_SEEDS[:2])
def test_a_heldout_program_contains_the_heldout_family(seed):
    sim = simulate_heldout(seed, END)
    heldout = [t for t in sim.truth if t.fate == HELDOUT_FAMILY]
    assert len(heldout) >= 4 and any(t.dies and not t.censored for t in heldout)


def test_each_side_refuses_the_other_sides_seeds():
    with pytest.raises(ValueError, match="held out"):
        simulate_tuning(HELDOUT_SEEDS[0], END)
    with pytest.raises(ValueError, match="tuning seed"):
        simulate_heldout(TUNING_SEEDS[0], END)


def test_exclude_names_known_families_only():
    with pytest.raises(ValueError, match="unknown"):
        simulate(1, END, exclude=("hosts_leave",))


def test_same_seed_same_messages_on_both_sides():
    first, again = simulate_tuning(3, END, groups=20), simulate_tuning(3, END, groups=20)
    assert first.messages == again.messages
    a, b = simulate_heldout(1003, END, groups=20), simulate_heldout(1003, END, groups=20)
    assert a.messages == b.messages and a.truth_json() == b.truth_json()

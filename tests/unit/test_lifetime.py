"""ecoserve_opt.lifetime: obsolescence shares, the lower envelope, the refresh plan."""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pytest

from ecoserve_opt.lifetime import (
    SOURCED_FAILURES,
    FailureRates,
    ageing_factor,
    best_lifetime,
    lower_envelope,
    obsolescence_share,
    refresh_plan,
    relative_obsolescence,
    replacement_share,
)


def test_obsolescence_share_by_hand() -> None:
    # q = 1.25: 1 - q^-a = 0, .2, .36, .488, .5904 -> mean 0.32768
    assert obsolescence_share(5, 0.25) == pytest.approx(0.32768, abs=1e-12)
    assert obsolescence_share(1, 0.5) == 0.0
    assert obsolescence_share(7, 0.0) == 0.0
    assert relative_obsolescence(5, 5, 0.3) == 0.0
    assert relative_obsolescence(4, 5, 0.3) < 0 < relative_obsolescence(6, 5, 0.3)
    with pytest.raises(ValueError, match="positive"):
        obsolescence_share(0, 0.2)


def test_replacement_share_and_ageing_factor_by_hand() -> None:
    wear = FailureRates((0.02, 0.02, 0.02, 0.02, 0.02, 0.10, 0.20), 0.0, "example")
    # rho_5 = 0.02, rho_6 = 0.2/6, rho_7 = 0.4/7; omega_L = 1 + L (rho_L - rho_5)
    assert replacement_share(5, wear) == pytest.approx(0.02, abs=1e-15)
    assert ageing_factor(6, 5, wear) == pytest.approx(1.08, abs=1e-12)
    assert ageing_factor(7, 5, wear) == pytest.approx(1.26, abs=1e-12)
    assert ageing_factor(5, 5, wear) == 1.0
    # rho_9 = (5 x 0.02 + 0.10 + 3 x 0.20)/9 = 0.8/9
    assert ageing_factor(9, 5, wear) == pytest.approx(1 + 9 * (0.8 / 9 - 0.02), abs=1e-12)
    # fail-in-place parts are not replaced: DRAM 0.1 %/y, 75 % in place -> 0.025 %/y
    assert replacement_share(4, SOURCED_FAILURES["dram"]) == pytest.approx(0.00025, abs=1e-15)
    # the sourced rates are constant with age: the lifetime changes nothing (exactly 1)
    for rates in SOURCED_FAILURES.values():
        assert {ageing_factor(L, 5, rates) for L in range(1, 12)} == {1.0}
    with pytest.raises(ValueError, match="positive"):
        replacement_share(0, wear)


def test_power_degradation_adds_to_the_obsolescence_share() -> None:
    # delta = 0.1, r = 0: (1.1^a - 1) = 0, 0.1, 0.21 -> eps_3 = 0.31/3
    assert obsolescence_share(3, 0.0, 0.1) == pytest.approx(0.31 / 3, abs=1e-12)
    assert relative_obsolescence(6, 5, 0.26, 0.0) < relative_obsolescence(6, 5, 0.26, 0.02)
    assert relative_obsolescence(5, 5, 0.26, 0.05) == 0.0


def test_share_grows_with_life_and_trend() -> None:
    for r in (0.1, 0.26, 0.5):
        shares = [obsolescence_share(L, r) for L in range(1, 12)]
        assert shares == sorted(shares)
    assert obsolescence_share(6, 0.1) < obsolescence_share(6, 0.3)


def _brute(lines: list[tuple[int, float, float]]) -> set[int]:
    """Lines that are the (tie-broken) minimum at some x of a fine grid or a breakpoint."""
    xs = {0.0}
    for (_i, a1, b1), (_j, a2, b2) in itertools.combinations(lines, 2):
        if b1 != b2:
            x = (a2 - a1) / (b1 - b2)
            if x >= 0:
                xs.update({x, x * (1 + 1e-9) + 1e-12})
    xs.update(k / 5 for k in range(0, 100))
    xs.add(1e9)
    won = set()
    for x in xs:
        won.add(min(lines, key=lambda t: (round(t[1] + t[2] * x, 12), t[2], -t[0]))[0])
    return won


def test_lower_envelope_matches_brute_force() -> None:
    rng = random.Random(7)
    for _ in range(120):
        n = rng.randint(1, 6)
        lines = [(i, round(rng.uniform(0, 3), 3), round(rng.uniform(-1, 2), 3)) for i in range(n)]
        assert set(lower_envelope(lines)) == _brute(lines), lines


def test_lower_envelope_without_slopes_keeps_the_cheapest_longest() -> None:
    assert lower_envelope([(5, 0.2, 0.0), (6, 0.17, 0.0), (7, 0.15, 0.0)]) == [7]
    assert lower_envelope([(5, 0.2, 0.0), (6, 0.2, 0.0)]) == [6]
    assert lower_envelope([]) == []


def test_best_lifetime_is_interior_between_clean_and_dirty() -> None:
    """docs/formulation.md's example: gpu-a (100 kg, 1095 kWh/y, r = 0.25)."""
    args = (5, 100.0, 1095.0)
    assert best_lifetime([5, 6, 7], *args, 0.005, 0.25, 0.03) == 7
    assert best_lifetime([5, 6, 7], *args, 0.040, 0.25, 0.03) == 6
    assert best_lifetime([5, 6, 7], *args, 0.500, 0.25, 0.03) == 5


def test_refresh_plan() -> None:
    fleet = pd.DataFrame(
        [
            ("gpu", "h100", "new", 1, 5, 16, None),
            ("gpu", "h100", "new", 2, 5, 8, None),
            ("host", "genoa", "new", 1, 2, 2, None),
            ("gpu", "a100", "owned", 0, 5, 40, 1.0),
        ],
        columns=["kind", "item", "source", "year_bought", "lifetime_years", "count", "year_used"],
    )
    plan = refresh_plan(fleet, horizon_years=3, start_year=2025)
    got = plan[["year", "calendar_year", "kind", "item", "action", "count", "within_horizon"]]
    assert got.values.tolist() == [
        [1, 2025, "gpu", "h100", "buy", 16, True],
        [1, 2025, "host", "genoa", "buy", 2, True],
        [2, 2026, "gpu", "h100", "buy", 8, True],
        [2, 2026, "host", "genoa", "retire", 2, True],
        [5, 2029, "gpu", "h100", "retire", 16, False],
        [6, 2030, "gpu", "h100", "retire", 8, False],
    ]
    assert refresh_plan(fleet.iloc[0:0], 3, 2025).empty

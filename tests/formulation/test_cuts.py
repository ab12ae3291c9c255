"""Rounded covering rows (``solver.cuts``, formulation/cuts.py).

* the rounding (MIR) is valid: every point of a covering row meets its rounded row
  (enumeration over random rows, and the edge cases of a right-hand side on a multiple of
  the divisor);
* exactness: the optimum with and without the rows is the same at gap 0 on tiny variants
  with every pillar, separate pools and phase pools, and equals the brute-force
  enumeration of test_bruteforce.py;
* the rows follow ``demand_scale``: a re-solve at a smaller or larger scale equals a fresh
  build (a row rounded at scale 1 would cut the smaller fleet);
* the hand-worked rows and the LP bounds they raise are in test_families.py
  (``test_cover_online``, ``test_cover_day``, ``test_cover_cpu``, ``test_cover_host``).

The "with rows" side of every exactness test also has the host covers of
formulation/host_cuts.py (``solver.host_cuts``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ecoserve_opt as eo
from ecoserve_opt.formulation import build_model
from ecoserve_opt.formulation.cuts import EPS, mir_coefficients
from ecoserve_opt.io.yaml_loader import validate_dict
from tests.formulation.test_bruteforce import _apply, _catalog, _enumerate, _instance
from tests.formulation.test_split_phases import _scenario as _split_scenario
from tests.formulation.test_tighten import VARIANTS
from tests.helpers import tiny

pytestmark = pytest.mark.milp


def _rows(seed: int) -> list[tuple[list[float], float, float, float]]:
    """Random covering rows ``a . n + e y >= b`` and a divisor (one of the a's or another)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(40):
        a = [float(v) for v in rng.uniform(0.1, 5.0, size=3)]
        e = float(rng.uniform(0.0, 2.0))
        b = float(rng.uniform(0.2, 12.0))
        c = a[int(rng.integers(0, 3))] if rng.random() < 0.7 else float(rng.uniform(0.3, 4.0))
        rows.append((a, e, b, c))
    # right-hand side on (or a hair above) a multiple of the divisor
    rows += [([2.0, 3.0, 0.7], 0.5, 6.0, 2.0), ([2.0, 3.0, 0.7], 0.5, 6.0 * (1 + 1e-13), 2.0)]
    rows += [([1.5, 0.4, 2.5], 0.0, 4.5, 1.5), ([1.5, 0.4, 2.5], 0.0, 4.5 + 1e-7, 1.5)]
    return rows


@pytest.mark.parametrize("seed", range(3))
def test_rounded_row_is_valid(seed: int) -> None:
    """Every integer point (0..9 per column) of a covering row, with the least continuous
    part that completes it, meets the rounded row; and where the divisor is a column's
    coefficient and b/c is fractional, the LP point n_j = b/a_j violates it (the rounding
    cuts it off)."""
    cut, fractional = 0, 0
    rows = _rows(seed)
    for a, e, b, c in rows:
        alpha, mult, rhs = mir_coefficients(dict(enumerate(a)), b, c)
        assert rhs == math.floor(b / c - EPS) + 1
        for n in itertools.product(range(10), repeat=3):
            lhs = sum(ai * ni for ai, ni in zip(a, n, strict=True))
            if lhs < b and e == 0:
                continue  # not on the row
            y = max(0.0, (b - lhs) / e) if e > 0 else 0.0
            got = sum(alpha[j] * n[j] for j in range(3)) + mult * e * y
            assert got >= rhs - 1e-9, (a, e, b, c, n)
        if c in a and 0.01 < b / c - math.floor(b / c) < 0.99:
            fractional += 1
            j = a.index(c)
            cut += alpha[j] * b / a[j] < rhs - 1e-9
    assert fractional > 10
    assert cut == fractional


def _with_cuts(data: dict[str, Any], cuts: bool) -> eo.Built:
    """``cuts``: the covering rows and the host covers (``solver.host_cuts``)."""
    solver = {**data.get("solver", {}), "cuts": cuts, "host_cuts": cuts, "mip_rel_gap": 0.0}
    return eo.build(validate_dict({**data, "solver": solver}))


def _separate_pools(d: dict[str, Any]) -> dict[str, Any]:
    d = VARIANTS["all_pillars"](d)
    d["share_online_offline"] = False
    return d


def _overnight(d: dict[str, Any]) -> dict[str, Any]:
    """Offline in an overnight window only, 4 slots, online demand 900 tok/s."""
    d = VARIANTS["all_pillars_2y_growth"](d)
    d["time_slots"] = 4
    d["llms"]["tiny-llm"]["online"]["tokens_per_s"] = 900
    d["llms"]["tiny-llm"]["offline"]["window"] = [20, 8]
    return d


CASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    **VARIANTS,
    "separate_pools": _separate_pools,
    "overnight_window": _overnight,
}


@pytest.mark.parametrize("case", list(CASES))
def test_cuts_keep_the_optimum(case: str, tiny_dict: dict[str, Any]) -> None:
    """Same optimum (gap 0) with and without the rows; the rows are there."""
    data = CASES[case](tiny_dict)
    on, off = _with_cuts(data, True), _with_cuts(data, False)
    assert len(on.model.cover_online) + len(on.model.cover_day) > 0
    assert len(on.model.cover_host) > 0
    assert not hasattr(off.model, "cover_online")
    r_on, r_off = on.solve(), off.solve()
    assert r_on.optimal
    assert r_off.optimal
    assert r_on.metrics["gap"] <= 1e-9
    assert r_off.metrics["gap"] <= 1e-9
    assert r_on.carbon == pytest.approx(r_off.carbon, rel=1e-7)


def test_split_phases_optimum_with_cuts(tmp_path: Path) -> None:
    """Phase pools also serve online demand: their LLM gets no online cover, and the
    hand-worked split optimum of test_split_phases.py (1780.2 kg) is unchanged."""
    _split_scenario(tmp_path, split=True)  # writes the edited catalog
    raw = tiny()
    raw["catalog"] = str(tmp_path / "catalog")
    raw["pillars"]["split_phases"] = True
    built = _with_cuts(raw, True)
    assert len(built.model.cover_online) == 0
    res = built.solve()
    assert res.optimal
    assert res.carbon == pytest.approx(1780.2, rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_cuts_equal_the_enumeration(
    seed: int, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """The brute-force instances of test_bruteforce.py: with and without the rows the
    model reaches the enumerated optimum."""
    inst = _instance(seed)
    _apply(inst, tiny_dict, _catalog(inst, catalog_copy))
    best = _enumerate(inst)
    for cuts in (True, False):
        built = _with_cuts(tiny_dict, cuts)
        res = built.solve()
        assert res.optimal
        assert res.carbon == pytest.approx(best, rel=1e-7)


@pytest.mark.parametrize("scale", [0.5, 2.5])
def test_demand_scale_resolve_moves_the_rows(scale: float, tiny_dict: dict[str, Any]) -> None:
    """gpu-a only, 900 tok/s: the online cover asks for 5 replicas at scale 1. A persistent
    re-solve at scale 0.5 (450 tok/s: 3 replicas, 2 hosts) and 2.5 (2250 tok/s: 12
    replicas, 3 hosts) equals a fresh build at that demand: the rows are expressions of
    ``demand_scale`` (a row rounded at scale 1 would keep 5 replicas at scale 0.5)."""
    tiny_dict["hardware"]["gpus"] = ["gpu-a"]
    tiny_dict["llms"]["tiny-llm"]["online"]["tokens_per_s"] = 900
    built = _with_cuts(tiny_dict, True)
    first = built.solve()
    assert first.metrics["gpus"] == 5
    built.set(demand_scale=scale)
    scaled = built.solve()
    fresh_data = {**tiny_dict, "llms": {"tiny-llm": {**tiny_dict["llms"]["tiny-llm"]}}}
    fresh_data["llms"]["tiny-llm"]["online"] = {
        **tiny_dict["llms"]["tiny-llm"]["online"],
        "tokens_per_s": 900 * scale,
    }
    fresh = _with_cuts(fresh_data, False).solve()
    assert scaled.optimal
    assert fresh.optimal
    assert scaled.metrics["gpus"] == {0.5: 3, 2.5: 12}[scale]
    assert scaled.carbon == pytest.approx(fresh.carbon, rel=1e-7)


def test_build_model_switch_and_slack_mode(tiny_dict: dict[str, Any]) -> None:
    """Off by default; ``build_model(..., cuts=...)`` overrides the scenario, and slack mode
    (unmet demand allowed, so the covering rows do not hold) never adds them."""
    assert not hasattr(eo.build(validate_dict(tiny_dict)).model, "cover_online")
    built = _with_cuts(tiny_dict, True)
    assert len(built.model.cover_online) > 0
    assert not hasattr(build_model(built.data, cuts=False), "cover_online")
    assert len(build_model(_with_cuts(tiny_dict, False).data, cuts=True).cover_online) > 0
    assert not hasattr(build_model(built.data, slack=True), "cover_online")


def test_host_cuts_switch(tiny_dict: dict[str, Any]) -> None:
    """The host covers come only with the covering rows and ``solver.host_cuts`` (off by
    default); ``build_model(..., host_cuts=...)`` overrides the scenario, never in slack
    mode."""
    tiny_dict["solver"] = {**tiny_dict.get("solver", {}), "cuts": True}
    data = eo.build(validate_dict(tiny_dict)).data
    assert not hasattr(build_model(data), "cover_host")
    assert len(build_model(data, host_cuts=True).cover_host) > 0
    assert not hasattr(build_model(data, cuts=False, host_cuts=True), "cover_host")
    assert not hasattr(build_model(data, slack=True, host_cuts=True), "cover_host")

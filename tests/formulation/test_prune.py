"""Exact pruning of dominated operating points (``solver.prune``, data/hull.py).

* by hand: in (time share per token/s, load energy per token) a point above the segment
  of two others is dropped, a point below it (on the lower hull) is kept; a point a
  convex combination beats in capacity and power but not in latency is kept (online);
  headroom factors that differ between the points are compared slot by slot;
* equivalence: the pruned and the plain model have the same optimum (gap 0) on small
  cases with several batch sizes (every pillar, offline and online, carbon and energy
  objectives, a latency-first solve and an epsilon cap), and on the bundled default
  scenario at its gap;
* brute force: the random instances of test_bruteforce.py with an extra, dominated batch
  per GPU: both models reach the enumerated optimum and the pruned one drops the extra
  points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ecoserve_opt as eo
from ecoserve_opt.data.hull import dominated_in_group, dominated_points
from ecoserve_opt.data.keys import Point
from ecoserve_opt.data.model import GpuType
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.yaml_loader import load_scenario, validate_dict
from ecoserve_opt.paths import scenarios_dir
from tests.formulation.test_bruteforce import _apply, _catalog, _enumerate, _instance
from tests.formulation.test_tighten import VARIANTS

pytestmark = pytest.mark.milp

GPU = GpuType("g", 16.0, "pcie", 0.1, 1.0, 0.0, 5, 0.0)


def _info(cap: float, load_kw: float, latency: float = 0.01) -> dict[str, float]:
    """A point of capacity ``cap`` tokens/s drawing ``load_kw`` above GPU idle (0.1 kW)."""
    return {"cap": cap, "power_kw": 0.1 + load_kw, "latency": latency}


def _pts(cls: str, batches: list[int]) -> list[Point]:
    return [Point("m", "g", 1, b, cls) for b in batches]


def test_mid_point_above_the_hull_is_dropped_one_below_is_kept() -> None:
    """Offline points of one replica type, as (u = 1/capacity, e = load kW / capacity):
    A (0.010, 0.0010), B (0.002, 0.0030); M (0.007, 0.0022) lies above the segment AB:
    lam A + (1 - lam) B is no worse for lam in [0.4, 0.625] (u: 0.002 + 0.008 lam <= 0.007,
    e: 0.003 - 0.002 lam <= 0.0022), though neither A nor B alone beats M. H (0.005,
    0.0016) lies below it (u needs lam <= 0.375, e lam >= 0.7): a vertex, kept."""
    a, h, m, b = _pts("offline", [1, 2, 4, 8])
    info = {
        a: _info(100.0, 0.1),  # u 0.010, e 0.0010
        h: _info(200.0, 0.32),  # u 0.005, e 0.0016
        m: _info(1 / 0.007, 0.0022 / 0.007),  # u 0.007, e 0.0022
        b: _info(500.0, 1.5),  # u 0.002, e 0.0030
    }
    assert dominated_points([a, h, m, b], info, {}, {"g": GPU}, [1], [0]) == {m}
    without_h = {p: v for p, v in info.items() if p != h}
    assert dominated_points([a, m, b], without_h, {}, {"g": GPU}, [1], [0]) == {m}
    # M at e 0.0017 < 0.0030 - 0.002 x 0.625: below AB, a vertex of {A, M, B}; but above
    # AH (lam H + (1 - lam) A: u needs lam >= 0.6, e lam <= 7/6), so dropped beside H
    info[m] = _info(1 / 0.007, 0.0017 / 0.007)
    without_h[m] = info[m]
    assert dominated_points([a, m, b], without_h, {}, {"g": GPU}, [1], [0]) == frozenset()
    assert dominated_points([a, h, m, b], info, {}, {"g": GPU}, [1], [0]) == {m}


def test_latency_keeps_online_points_and_ties_keep_one() -> None:
    """The same (u, e) as online points: M is beaten in capacity and power, but with
    latencies 10, 40 ms at A, B a combination with lam in [0.4, 0.625] has at least
    10 lam + 40 (1 - lam) = 21.25 ms, so M at 20 ms is kept (the latency objective and
    caps read it) and dropped at 25 ms. Of two identical points exactly one is dropped."""
    a, m, b = _pts("online", [1, 4, 8])
    info = {
        a: _info(100.0, 0.1, 0.010),
        m: _info(1 / 0.007, 0.0022 / 0.007, 0.020),
        b: _info(500.0, 1.5, 0.040),
    }
    assert dominated_points([a, m, b], info, {}, {"g": GPU}, [1], [0]) == frozenset()
    info[m] = _info(1 / 0.007, 0.0022 / 0.007, 0.025)
    assert dominated_points([a, m, b], info, {}, {"g": GPU}, [1], [0]) == {m}
    rows = [[Fraction(1), Fraction(2)], [Fraction(1), Fraction(2)]]
    assert dominated_in_group(rows) == [0]


def test_headroom_factors_are_compared_in_every_slot() -> None:
    """Online headroom factors f (capacity used = f x rate / capacity) that differ between
    the points are compared slot by slot. A, M, B as above, M at 30 ms (a combination needs
    lam >= 1/3 for latency, lam in [0.4, 0.625] for u and e in slot 0). Slot 1:

    * f = 1.3 for M: its u is 0.0091 there, lam <= 0.8875: still dropped;
    * f = 1.3 for A and B: 1.3 (0.002 + 0.008 lam) <= 0.007 for lam <= 0.423: dropped;
    * f = 2.0 for A and B: 2 (0.002 + 0.008 lam) <= 0.007 needs lam <= 0.1875 < 0.4: kept.
    """
    a, m, b = _pts("online", [1, 4, 8])
    info = {
        a: _info(100.0, 0.1, 0.010),
        m: _info(1 / 0.007, 0.0022 / 0.007, 0.030),
        b: _info(500.0, 1.5, 0.040),
    }
    gpus = {"g": GPU}
    f = {(*m, 1, 1): 1.3}
    assert dominated_points([a, m, b], info, f, gpus, [1], [0, 1]) == {m}
    f = {(*a, 1, 1): 1.3, (*b, 1, 1): 1.3}
    assert dominated_points([a, m, b], info, f, gpus, [1], [0, 1]) == {m}
    f = {(*a, 1, 1): 2.0, (*b, 1, 1): 2.0}
    assert dominated_points([a, m, b], info, f, gpus, [1], [0, 1]) == frozenset()


# --- equivalence on small cases --------------------------------------------------------------

#: batch -> (TTFT ms, TPOT ms, W) of gpu-a and gpu-b at 100 prompt tokens: capacity rises
#: with the batch; offline, gpu-a's batch 1 and gpu-b's batches 2 and 4 use more capacity
#: and more load energy per token than a larger batch (pruned), online their lower latency
#: keeps them
ROWS = {
    "gpu-a": {1: (300, 8, 90), 2: (350, 8.5, 110), 4: (500, 10, 150), 8: (800, 13, 200)},
    "gpu-b": {1: (150, 4, 180), 2: (170, 4.2, 300), 4: (250, 5, 400), 8: (400, 7, 480)},
}


def _fixture_profiles(
    rows: Mapping[tuple[str, int], Mapping[int, tuple[float, float, float]]],
) -> pd.DataFrame:
    """profiles.csv rows of tiny-llm at 100 prompt tokens: ``{(gpu, tp): {batch: (ttft_ms,
    tpot_ms, power_w)}}``."""
    return pd.DataFrame(
        [
            {
                "llm": "tiny-llm",
                "gpu": g,
                "tp": tp,
                "batch": b,
                "prompt_tokens": 100,
                "ttft_ms": t1,
                "tpot_ms": t2,
                "power_w": w,
                "method": "measured",
                "source": "hand-made test fixture",
            }
            for (g, tp), by_batch in rows.items()
            for b, (t1, t2, w) in by_batch.items()
        ]
    )


def _multi_batch(tiny_dict: dict[str, Any], make: Callable[..., Path]) -> dict[str, Any]:
    prof = _fixture_profiles({(g, 1): rows for g, rows in ROWS.items()})
    tiny_dict["catalog"] = str(make(profiles=prof))
    return tiny_dict


def _built(data: dict[str, Any], prune: bool, objective: str | None = None) -> eo.Built:
    data = {**data, "solver": {**data.get("solver", {}), "prune": prune}}
    return eo.build(validate_dict(data), objective=objective)


def _assert_latency_solves_match(data: dict[str, Any]) -> list[eo.Results]:
    """The performance objective (latency, then cost) and a carbon solve under a latency cap
    5% above the plain latency optimum reach the same optima pruned and plain; returns the
    performance solves (pruned, plain)."""
    perf = [_built(data, p, "performance").solve() for p in (True, False)]
    assert perf[0].metrics["latency_s_per_token"] == pytest.approx(
        perf[1].metrics["latency_s_per_token"], rel=1e-6
    )
    assert perf[0].metrics["cost_usd"] == pytest.approx(perf[1].metrics["cost_usd"], rel=1e-6)
    cap = 1.05 * perf[1].metrics["latency_s_per_token"]
    capped = []
    for p in (True, False):
        built = _built(data, p)
        built.set_parameters({"cap.latency": cap})
        capped.append(built.solve())
    assert capped[0].optimal
    assert capped[0].carbon == pytest.approx(capped[1].carbon, rel=1e-7)
    return perf


def _assert_same_optimum(pruned: eo.Built, plain: eo.Built) -> None:
    """Both models solve to gap 0 and reach the same objective."""
    rp, rf = pruned.solve(), plain.solve()
    assert rp.optimal
    assert rf.optimal
    assert rp.metrics["gap"] <= 1e-9
    assert rf.metrics["gap"] <= 1e-9
    assert rp.metrics["objective"] == pytest.approx(rf.metrics["objective"], rel=1e-7)


@pytest.mark.parametrize("variant", ["all_pillars", "all_pillars_2y_growth", "rightsize_off"])
@pytest.mark.parametrize("objective", ["carbon", "energy"])
def test_pruned_model_has_the_plain_optimum(
    variant: str, objective: str, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """Same optimum (gap 0) with and without pruning, on a catalog with four batches per
    GPU (offline points are pruned, online ones mostly kept for their latency)."""
    data = VARIANTS[variant](_multi_batch(tiny_dict, catalog_copy))
    pruned, plain = _built(data, True, objective), _built(data, False, objective)
    assert pruned.data.dominated
    assert len(pruned.model.x) < len(plain.model.x)
    _assert_same_optimum(pruned, plain)


def test_latency_first_and_capped_solves_match(
    tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """The performance objective (latency, then cost) and a carbon solve under a latency
    cap give the same optima pruned and plain: latency is one of the compared rows."""
    data = VARIANTS["all_pillars"](_multi_batch(tiny_dict, catalog_copy))
    _assert_latency_solves_match(data)


@pytest.mark.slow
def test_bundled_default_scenario_is_unchanged() -> None:
    """scenarios/default.yaml at its own gap: the same design's carbon pruned and plain
    (100,668 kg when this was written), with fewer serving columns."""
    loaded = load_scenario(scenarios_dir() / "default.yaml")
    out = []
    for prune in (True, False):
        s = loaded.scenario
        solver = s.solver.model_copy(update={"prune": prune})
        one = type(loaded)(**{**vars(loaded), "scenario": s.model_copy(update={"solver": solver})})
        built = eo.build(one)
        out.append((len(built.model.x), built.solve()))
    (n_pruned, pruned), (n_plain, plain) = out
    assert n_pruned < n_plain
    assert pruned.optimal
    assert plain.optimal
    tol = max(pruned.metrics["gap"], plain.metrics["gap"])
    assert pruned.carbon == pytest.approx(plain.carbon, rel=tol)


@pytest.mark.parametrize("seed", range(3))
def test_pruned_and_plain_equal_the_enumeration(
    seed: int, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """test_bruteforce.py's instances plus, per GPU, a batch-8 row at twice the batch-4
    TTFT and TPOT and the same power: half the capacity at the same power, twice the
    latency (dominated by batch 4 alone). The enumeration (batch 4 only) stays the optimum
    of both models; pruning drops exactly the batch-8 points."""
    inst = _instance(seed)
    cat = _catalog(inst, catalog_copy)
    prof = pd.read_csv(cat / "profiles.csv")
    extra = prof.assign(batch=8, ttft_ms=2 * prof["ttft_ms"], tpot_ms=2 * prof["tpot_ms"])
    pd.concat([prof, extra]).to_csv(cat / "profiles.csv", index=False)
    _apply(inst, tiny_dict, cat)
    best = _enumerate(inst)
    for prune in (True, False):
        built = _built(tiny_dict, prune)
        if prune:
            assert {p.batch for p in built.data.dominated} == {8}
            assert len(built.data.dominated) == 3
        res = built.solve()
        assert res.optimal
        assert res.carbon == pytest.approx(best, rel=1e-7)


# --- solver.prune_latency: latency-blind pruning for objectives that do not read latency ----


@pytest.mark.parametrize("objective", ["carbon", "energy", "cost"])
def test_latency_blind_pruning_keeps_the_optimum(
    objective: str, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """``solver.prune_latency``: online points are compared in capacity and power alone,
    so gpu-a's batch 1 and gpu-b's batches 2 and 4 go online too (as offline: a larger
    batch beats them in both; only their lower latency kept them); the carbon, energy and
    cost optima are those of the plain model (gap 0)."""
    data = VARIANTS["all_pillars"](_multi_batch(tiny_dict, catalog_copy))
    data["solver"] = {**data["solver"], "prune_latency": True}
    blind, plain = _built(data, True, objective), _built(data, False, objective)
    assert blind.model.latency_blind
    online = {(p.gpu, p.batch) for p in blind.data.dominated_no_latency if p.cls == "online"}
    assert online == {("gpu-a", 1), ("gpu-b", 2), ("gpu-b", 4)}
    assert not {p for p in blind.data.dominated if p.cls == "online"}
    rb, rp = blind.solve(), plain.solve()
    assert rb.optimal
    assert rp.optimal
    assert rb.metrics["objective"] == pytest.approx(rp.metrics["objective"], rel=1e-7)


def test_latency_blind_model_refuses_latency(
    tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """A latency-blind model refuses the performance objective and a latency cap (they
    would not be exact); built for performance, the switch is ignored."""
    data = VARIANTS["all_pillars"](_multi_batch(tiny_dict, catalog_copy))
    data["solver"] = {**data["solver"], "prune_latency": True}
    built = _built(data, True)
    with pytest.raises(EcoserveError, match="solver.prune_latency: this model was built"):
        built.set_objective("performance")
    with pytest.raises(EcoserveError, match="so a latency cap would not be exact"):
        built.set_parameters({"cap.latency": 0.1})
    built.set_parameters({"cap.carbon": 1e9})  # other caps are fine
    perf = _built(data, True, "performance")
    assert not perf.model.latency_blind
    assert len(perf.model.x) == len(
        _built({**data, "solver": {**data["solver"], "prune_latency": False}}, True).model.x
    )

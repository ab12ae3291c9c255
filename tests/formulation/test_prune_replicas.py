"""Exact pruning of dominated replica types (``solver.prune``, data/hull.py
``dominated_replicas``): a replica type that one replica of a smaller-or-equal TP degree (or
another precision) of the same LLM and GPU replaces with no loss.

* by hand: a TP-2 type that one TP-1 replica beats at every point (alone, or by a convex
  combination of two points) is dropped; kept when one TP-1 replica has less capacity
  (only two would do: a two-for-one swap needs a second staged weight copy and checkpoint),
  when it is faster (latency), when the smaller type lacks its class, when a headroom
  factor of one slot decides, and a smaller TP degree is never replaced by a larger one;
* equivalence: the pruned and the plain model have the same optimum (gap 0) on small cases
  with TP 1 and 2 (every pillar, two years, Rightsize off; carbon, energy, cost, the
  performance objective and a latency cap); a TP-2 type kept for its latency carries the
  performance optimum;
* brute force: the random instances of test_bruteforce.py with a TP-2 copy of every GPU's
  row (same latency and power per GPU, so twice the GPUs and energy per token): both models
  reach the enumerated optimum and the pruned one drops exactly the TP-2 types.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ecoserve_opt.data.hull import dominated_replicas
from ecoserve_opt.data.keys import Point, Replica
from ecoserve_opt.data.model import GpuType
from tests.formulation.test_bruteforce import _apply, _catalog, _enumerate, _instance
from tests.formulation.test_prune import (
    _assert_latency_solves_match,
    _assert_same_optimum,
    _built,
    _fixture_profiles,
)
from tests.formulation.test_tighten import VARIANTS

pytestmark = pytest.mark.milp

GPU = GpuType("g", 16.0, "pcie", 0.1, 1.0, 0.0, 5, 0.0)
GPUS = {"g": GPU}


def _info(cap: float, load_kw: float, latency: float = 0.01) -> dict[str, float]:
    """A point of ``cap`` tokens/s per replica drawing ``load_kw`` per GPU above idle."""
    return {"cap": cap, "power_kw": GPU.idle_kw + load_kw, "latency": latency}


def _dom(info: dict[Point, dict[str, float]], f: dict[Any, float] | None = None) -> set[Replica]:
    return set(dominated_replicas(list(info), info, f or {}, GPUS, [1], [0, 1]))


def test_one_smaller_replica_that_beats_every_point_replaces_the_type() -> None:
    """Offline, per token/s: time share u = 1/capacity, load energy e = TP x load / capacity.
    TP 1 at batch 4: u 0.010, e 0.001; TP 2 at batch 4 with 90 tok/s and 0.1 kW per GPU:
    u 0.0111, e 0.00222. One TP-1 replica does all a TP-2 one does, on one GPU: dropped.
    At 150 tok/s (u 0.00667) one TP-1 replica does not (two would, at e 0.001 < 0.00133,
    but that swaps one replica for two): kept. The reverse never happens (more GPUs)."""
    t1, t2 = Point("m", "g", 1, 4, "offline"), Point("m", "g", 2, 4, "offline")
    assert _dom({t1: _info(100.0, 0.1), t2: _info(90.0, 0.1)}) == {t2.replica}
    assert _dom({t1: _info(100.0, 0.1), t2: _info(150.0, 0.1)}) == set()
    # TP 2 better per replica in both (u 0.0033, e 0.00067): TP 1 stays all the same
    assert _dom({t1: _info(100.0, 0.1), t2: _info(300.0, 0.1)}) == set()


def test_a_convex_combination_of_the_smaller_type_counts() -> None:
    """TP 1 at batches 1 and 8: A (u 0.010, e 0.0005), B (u 0.002, e 0.0025); TP 2's only
    point M (u 0.007, e 0.0017 with TP 2) is beaten by neither alone but by lam A + (1 - lam)
    B for lam in [0.4, 0.6] (u: 0.002 + 0.008 lam <= 0.007, e: 0.0025 - 0.002 lam <=
    0.0017). At e 0.0012 (M below the segment) it is kept."""
    a, b = Point("m", "g", 1, 1, "offline"), Point("m", "g", 1, 8, "offline")
    m = Point("m", "g", 2, 4, "offline")
    info = {a: _info(100.0, 0.05), b: _info(500.0, 1.25), m: _info(1 / 0.007, 0.0017 / 0.014)}
    assert _dom(info) == {m.replica}
    info[m] = _info(1 / 0.007, 0.0012 / 0.014)
    assert _dom(info) == set()


def test_latency_class_and_headroom_keep_a_type() -> None:
    """Online TP 2 at 90 tok/s, beaten by TP 1 (100 tok/s) in time share and energy, is kept
    when it is faster (the performance objective and latency caps read it) and dropped when
    not; a TP-1 type without online points cannot replace a TP-2 type that has some; a
    headroom factor of 1.2 on TP 1 in slot 1 (u 0.012 > 0.0111) keeps TP 2."""
    t1, t2 = Point("m", "g", 1, 4, "online"), Point("m", "g", 2, 4, "online")
    assert _dom({t1: _info(100.0, 0.1, 0.02), t2: _info(90.0, 0.1, 0.01)}) == set()
    assert _dom({t1: _info(100.0, 0.1, 0.01), t2: _info(90.0, 0.1, 0.01)}) == {t2.replica}
    off = Point("m", "g", 1, 4, "offline")
    assert _dom({off: _info(100.0, 0.1), t2: _info(90.0, 0.1, 0.01)}) == set()
    info = {t1: _info(100.0, 0.1, 0.01), t2: _info(90.0, 0.1, 0.01)}
    assert _dom(info, {(*t1, 1, 1): 1.2}) == set()
    assert _dom(info, {(*t1, 1, 1): 1.2, (*t2, 1, 1): 1.2}) == {t2.replica}


def test_points_already_dominated_within_their_type_are_not_compared() -> None:
    """Only the points outside ``dominated`` (a type's lower hull) are compared. TP 1 at
    batch 8: u 0.02, e 0.002; TP 2 at batch 8: u 0.025, e 0.005, and at batch 1 u 0.1 and
    e 0.02 (both beaten: type dropped) or e 0.0002 (not beaten: type kept, unless that
    point is given as dominated within its type)."""
    t1 = Point("m", "g", 1, 8, "offline")
    b1, b8 = Point("m", "g", 2, 1, "offline"), Point("m", "g", 2, 8, "offline")
    info = {t1: _info(50.0, 0.1), b1: _info(10.0, 0.1), b8: _info(40.0, 0.1)}
    pts = list(info)
    assert dominated_replicas(pts, info, {}, GPUS, [1], [0]) == {b8.replica}
    info[b1] = _info(10.0, 0.001)
    assert dominated_replicas(pts, info, {}, GPUS, [1], [0]) == set()
    assert dominated_replicas(pts, info, {}, GPUS, [1], [0], frozenset({b1})) == {b8.replica}


# --- equivalence on small cases --------------------------------------------------------------

#: (gpu, tp) -> batch -> (TTFT ms, TPOT ms, W per GPU). gpu-a's TP 2 is TP 1's rows on twice
#: the GPUs (dominated); gpu-b's TP 2 is faster (lower latency, more tokens/s per replica)
#: at a little less power per GPU, so more energy per token: kept
ROWS = {
    ("gpu-a", 1): {1: (300, 8, 90), 2: (350, 8.5, 110), 4: (500, 10, 150), 8: (800, 13, 200)},
    ("gpu-a", 2): {1: (300, 8, 90), 2: (350, 8.5, 110), 4: (500, 10, 150), 8: (800, 13, 200)},
    ("gpu-b", 1): {1: (150, 4, 180), 2: (170, 4.2, 300), 4: (250, 5, 400), 8: (400, 7, 480)},
    ("gpu-b", 2): {1: (120, 3.2, 150), 2: (136, 3.4, 250), 4: (200, 4, 330), 8: (320, 5.6, 400)},
}


def _tp_catalog(tiny_dict: dict[str, Any], make: Callable[..., Path]) -> dict[str, Any]:
    prof = _fixture_profiles(ROWS)
    tiny_dict["catalog"] = str(make(profiles=prof))
    tiny_dict["hardware"]["tp_degrees"] = [1, 2]
    return tiny_dict


GONE = {Replica("tiny-llm", "gpu-a", 2, "bf16")}


@pytest.mark.parametrize("variant", ["all_pillars", "all_pillars_2y_growth", "rightsize_off"])
@pytest.mark.parametrize("objective", ["carbon", "energy", "cost"])
def test_pruned_model_has_the_plain_optimum(
    variant: str, objective: str, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """Same optimum (gap 0) with and without pruning; gpu-a's TP-2 type goes (its replica
    counts and all its points), gpu-b's stays."""
    data = VARIANTS[variant](_tp_catalog(tiny_dict, catalog_copy))
    pruned, plain = _built(data, True, objective), _built(data, False, objective)
    assert pruned.data.dominated_replicas == GONE
    years = len(pruned.data.years)
    assert len(plain.model.n_rep) - len(pruned.model.n_rep) == years
    assert not {k for k in pruned.model.K if (k[1], k[2]) == ("gpu-a", 2)}
    assert {k for k in pruned.model.K if (k[1], k[2]) == ("gpu-b", 2)}
    _assert_same_optimum(pruned, plain)


def test_latency_first_and_capped_solves_match(
    tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """The performance objective and a carbon solve under a latency cap give the same optima
    pruned and plain; the latency optimum runs on gpu-b's TP-2 type, which costs more
    energy per token than its TP 1 and is kept for its latency."""
    data = VARIANTS["all_pillars"](_tp_catalog(tiny_dict, catalog_copy))
    perf = _assert_latency_solves_match(data)
    reps = perf[0].replicas
    assert ("gpu-b", 2) in set(zip(reps["gpu"], reps["tp"], strict=True))


@pytest.mark.parametrize("seed", range(3))
def test_pruned_and_plain_equal_the_enumeration(
    seed: int, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """test_bruteforce.py's instances plus, per GPU, a TP-2 row with the TP-1 row's latency
    and power per GPU: the same tokens/s per replica on twice the GPUs. The enumeration
    (TP 1 only) stays the optimum of both models; pruning drops exactly the TP-2 types."""
    inst = _instance(seed)
    cat = _catalog(inst, catalog_copy)
    prof = pd.read_csv(cat / "profiles.csv")
    pd.concat([prof, prof.assign(tp=2)]).to_csv(cat / "profiles.csv", index=False)
    _apply(inst, tiny_dict, cat)
    tiny_dict["hardware"]["tp_degrees"] = [1, 2]
    best = _enumerate(inst)
    for prune in (True, False):
        built = _built(tiny_dict, prune)
        if prune:
            assert built.data.dominated_replicas == {
                Replica("tiny-llm", g["gpu"], 2, "bf16") for g in inst["gpus"]
            }
            assert {r[2] for r in built.model.R} == {1}
        else:
            assert {r[2] for r in built.model.R} == {1, 2}
        res = built.solve()
        assert res.optimal
        assert res.carbon == pytest.approx(best, rel=1e-7)

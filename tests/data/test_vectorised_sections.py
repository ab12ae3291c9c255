"""The vectorised data sections of issue 20 (cheap fixed costs) give exactly the numbers of
the per-group implementations they replace: operating points (``_operating_points``, once a
pandas groupby per LLM and class) and online capacity factors (``online_capacity_factors``,
once a scalar Erlang-C search per point, year and slot).

The references below are the replaced code, kept verbatim (modulo names); every bundled
scenario is compared frame by frame with exact equality.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ecoserve_opt import queueing
from ecoserve_opt.catalog import select_engine
from ecoserve_opt.data import build as data_build
from ecoserve_opt.data import profiles
from ecoserve_opt.data.demand import headroom_demands
from ecoserve_opt.data.keys import Point
from ecoserve_opt.data.model import CLASSES, KV_MEMORY_FRACTION
from ecoserve_opt.data.power_mode import scale_points
from ecoserve_opt.io.yaml_loader import load_scenario
from ecoserve_opt.paths import bundled_scenarios
from ecoserve_opt.queueing import capacity_factor, slots_needed, slots_needed_many

SCENARIOS = sorted(bundled_scenarios())


def _reference_operating_points(s: Any, cat: Any, gpus: Any, file: str) -> dict[Point, Any]:
    """``_operating_points`` before issue 20: one pandas groupby per (llm, class)."""
    prof = select_engine(cat.profiles.reset_index(), s.profiles.engine, file)
    prof = prof[prof["gpu"].isin(list(gpus)) & prof["tp"].isin(s.hardware.tp_degrees)]
    if s.hardware.batches is not None:
        prof = prof[prof["batch"].isin(s.hardware.batches)]
    llm_spec, gpu_spec = profiles._roofline_specs(cat)
    out: dict[Point, dict[str, float]] = {}
    for llm, spec in s.llms.items():
        llm_row = cat.row("llms", llm)
        weights = float(llm_row["weights_gb"])
        kvb = float(llm_row.get("kv_bytes_per_token", 0.0))
        rows = prof[prof["llm"] == llm]
        for cls in CLASSES:
            dem = getattr(spec, cls)
            if dem is None:
                continue
            n_in, n_out = dem.input_tokens, dem.output_tokens
            floor: dict[tuple[str, int], tuple[float, float]] = {}
            for key, grp in rows.groupby(["gpu", "tp", "batch"]):
                gpu, tp, batch = key
                g = gpus[str(gpu)]
                tp_i, b_i = int(tp), int(batch)
                mem_need = weights / tp_i + b_i * (n_in + n_out) * kvb / tp_i / 1e9
                if mem_need > KV_MEMORY_FRACTION * g.memory_gb:
                    continue
                ref = profiles._gpu_reference(llm_spec.get(llm), gpu_spec.get(str(gpu)), tp_i, b_i)
                point = profiles._profile_point(grp, n_in, n_out, b_i, ref, g.tdp_kw)
                if point is None:
                    continue
                ttft, tpot, power_kw, _cap = point
                lo_ttft, lo_tpot = floor.get((str(gpu), tp_i), (0.0, 0.0))
                ttft, tpot = max(ttft, lo_ttft), max(tpot, lo_tpot)
                floor[(str(gpu), tp_i)] = (ttft, tpot)
                cap = b_i * n_out / (ttft + n_out * tpot)
                if cls == "online" and (ttft > dem.ttft_slo or tpot > dem.tpot_slo):
                    continue
                out[Point(llm, str(gpu), tp_i, b_i, cls)] = {
                    "cap": cap,
                    "power_kw": max(power_kw, g.idle_kw),
                    "latency": ttft / n_out + tpot,
                    "ttft": ttft,
                    "tpot": tpot,
                }
    # the profiles.power scaling (unchanged by issue 20) applies to both versions alike
    return scale_points(s, cat, gpus, out, file)


def _reference_capacity_factors(
    s: Any, points: Any, info: Any, online_demand: Any, burst: Any
) -> dict[tuple, float]:
    """``online_capacity_factors`` before issue 20: one scalar search per point and slot."""
    ttft_one: dict[tuple[str, str, int], float] = {}
    for k in points:
        if k.cls == "online":
            key = (k.llm, k.gpu, k.tp)
            ttft_one[key] = min(info[k]["ttft"], ttft_one.get(key, math.inf))
    out: dict[tuple, float] = {}
    for llm, y, sl, on, dem, beta, cv2 in headroom_demands(s, online_demand, burst):
        for k in points:
            if k.llm != llm or k.cls != "online":
                continue
            if on.headroom_rule == "minute-peak":
                f = beta
            else:
                f = capacity_factor(
                    rate_hour=dem / on.output_tokens,
                    burst=beta,
                    batch=k.batch,
                    output_tokens=on.output_tokens,
                    ttft_batch_s=info[k]["ttft"],
                    ttft_one_s=ttft_one[(k.llm, k.gpu, k.tp)],
                    tpot_s=info[k]["tpot"],
                    ttft_slo_s=on.ttft_slo,
                    target=on.attainment_target,
                    output_cv2=cv2,
                )
            if f != 1.0:
                out[(*k, y, sl)] = f
    return out


def _frame(d: dict[Any, Any]) -> pd.DataFrame:
    if not d:
        return pd.DataFrame()
    first = next(iter(d.values()))
    rows = [(*k, *v.values()) if isinstance(first, dict) else (*k, v) for k, v in d.items()]
    cols = list(first) if isinstance(first, dict) else ["value"]
    n_key = len(next(iter(d)))
    df = pd.DataFrame(rows, columns=[f"k{i}" for i in range(n_key)] + cols)
    return df.sort_values([f"k{i}" for i in range(n_key)]).reset_index(drop=True)


def _captured(monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[dict[str, Any], Any]:
    """Build the data of ``name`` and capture the arguments/result of both sections."""
    seen: dict[str, Any] = {}
    op, cf = profiles._operating_points, data_build.online_capacity_factors

    def op_spy(*a: Any) -> Any:
        seen["op"] = (a, op(*a))
        return seen["op"][1]

    def cf_spy(*a: Any) -> Any:
        seen["cf"] = (a, cf(*a))
        return seen["cf"][1]

    monkeypatch.setattr(profiles, "_operating_points", op_spy)
    monkeypatch.setattr(data_build, "online_capacity_factors", cf_spy)
    loaded = load_scenario(bundled_scenarios()[name])
    return seen, data_build.build_data(loaded)


@pytest.mark.parametrize("name", SCENARIOS)
def test_operating_points_identical_to_groupby_version(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    seen, _ = _captured(monkeypatch, name)
    args, (keys, info) = seen["op"]
    ref = _reference_operating_points(*args)
    assert keys == sorted(ref)
    assert len(ref) > 0
    pd.testing.assert_frame_equal(_frame(info), _frame(ref), check_exact=True)


@pytest.mark.parametrize("rule", ["queueing", "minute-peak"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_capacity_factors_identical_to_scalar_version(
    monkeypatch: pytest.MonkeyPatch, name: str, rule: str
) -> None:
    seen, _ = _captured(monkeypatch, name)
    (s, *rest), new = seen["cf"]
    # every bundled scenario under both rules (ecoserve_paper.yaml itself has none)
    llms = {
        k: v.model_copy(update={"online": v.online.model_copy(update={"headroom_rule": rule})})
        if v.online is not None
        else v
        for k, v in s.llms.items()
    }
    s2 = s.model_copy(update={"llms": llms})
    new = data_build.online_capacity_factors(s2, *rest)
    ref = _reference_capacity_factors(s2, *rest)
    if name == "default":  # the others: offline only, or burst factors of 1 (paper)
        assert len(ref) > 0
    pd.testing.assert_frame_equal(_frame(new), _frame(ref), check_exact=True)


def test_slots_needed_many_equals_scalar_search() -> None:
    """Element by element, including loads whose answer lies past the first table (a tiny
    ``eps`` with no slack) and zero loads."""
    rng = np.random.default_rng(7)
    loads = np.concatenate([[0.0, 1e-3, 0.5], rng.uniform(0.1, 3000.0, 60)])
    for slack, eps, cs2 in [(0.3, 0.01, 1.0), (0.0, 1e-12, 0.0), (2.0, 0.2, 0.5)]:
        got = slots_needed_many(loads, slack, eps, cs2)
        want = [slots_needed(float(a), slack, eps, cs2) for a in loads]
        assert got.tolist() == want
    with pytest.raises(ValueError, match="eps must be in"):
        slots_needed_many(np.array([1.0]), 0.1, 1.5)


def test_slots_needed_many_narrow_window_equals_scalar_search() -> None:
    """The narrower first window of ``slots_needed_many`` (``_first_window``) gives the
    scalar search's answers on loads spread over five decades, both where the answer lies
    inside it and where it lies beyond (a tiny ``eps``: the scalar fallback), and where a
    group's loads are far apart (its columns start at the smallest load)."""
    rng = np.random.default_rng(20)
    loads = np.exp(rng.uniform(np.log(0.05), np.log(5000.0), 400))
    beyond = 0
    for slack, eps, cs2 in [(0.05, 0.01, 0.3), (0.0, 1e-9, 1.0), (1.0, 0.5, 0.0)]:
        got = slots_needed_many(loads, slack, eps, cs2).tolist()
        want = [slots_needed(float(a), slack, eps, cs2) for a in loads]
        assert got == want
        beyond += sum(
            c > math.floor(a) + 1 + queueing._first_window(float(a))
            for a, c in zip(loads, want, strict=True)
        )
    assert beyond > 0  # the fallback ran
    spread = np.array([0.2, 3.0, 40.0, 900.0, 4000.0])
    assert slots_needed_many(spread, 0.1, 0.01).tolist() == [
        slots_needed(float(a), 0.1, 0.01) for a in spread
    ]

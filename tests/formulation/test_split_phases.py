"""Phase-level Rightsize (``pillars.split_phases``): a split optimum worked out by hand.

Tiny fixture with its profiles edited so that gpu-a is good at prefill and gpu-b at decode
(one row each, batch 4, I = O = 100; demand 1000 output tokens/s = 10 requests/s; TTFT SLO
5 s, TPOT SLO 50 ms). The profile power is set to each GPU's idle power, so a GPU draws
its idle power whatever it serves and no phase-power split enters the arithmetic:

  gpu-a: TTFT 0.2 s, TPOT 40 ms, 50 W, embodied 100 kg / 5 y = 20 kg/y
  gpu-b: TTFT 2.0 s, TPOT  5 ms, 100 W, embodied 300 kg / 5 y = 60 kg/y
  host-x: 4 slots, one GPU type per host, 63.6 kg/y, 50 W; grid 0.5 kg/kWh, 8760 h.

Capacity per replica (output tokens/s):
  co-located b O / (TTFT + O TPOT): a 400/4.2 = 95.24, b 400/2.5 = 160
  prefill b O / TTFT:               a 2000,            b 200
  decode  b / TPOT:                 a 100,             b 800

Co-located (split off): 11 a (10.5 rounded up) on 3 hosts: P = 11*0.05 + 3*0.05 = 0.7 kW
-> 6132 kWh -> 3066 kg; embodied 11*20 + 3*63.6 = 410.8; total 3476.8 kg. (7 b on 2 hosts:
P = 0.8 kW -> 3504 + 420 + 127.2 = 4051.2.)

Split: prefill on 1 a (2000 >= 1000). Decode 1000 tokens/s: 2 b (120 kg, 0.2 kW), or
1 b + 2 a (60 + 40 = 100 kg, 0.1 + 0.1 = 0.2 kW), or 10 a (200 kg): 1 b + 2 a. The three
a sit in one host, the b in another: P = 3*0.05 + 0.1 + 2*0.05 = 0.35 kW -> 3066 kWh ->
1533 kg; embodied 3*20 + 60 + 2*63.6 = 247.2; total 1780.2 kg.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ecoserve_opt as eo
from ecoserve_opt.exceptions import InfeasibleError, ScenarioError
from ecoserve_opt.io.yaml_loader import validate_dict
from tests.helpers import tiny, with_catalog

pytestmark = pytest.mark.milp


def _phase_profiles(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[df["gpu"] == "gpu-a", ["ttft_ms", "tpot_ms", "power_w"]] = [200, 40, 50]
    df.loc[df["gpu"] == "gpu-b", ["ttft_ms", "tpot_ms", "power_w"]] = [2000, 5, 100]
    return df


def _kv(bytes_per_token: float) -> Any:
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df["kv_bytes_per_token"] = bytes_per_token
        return df

    return edit


def _scenario(folder: Path, split: bool, kv: float = 0.0, ttft_slo: str = "5 s") -> Any:
    with_catalog(folder, profiles=_phase_profiles, llms=_kv(kv))
    raw = tiny()
    raw["catalog"] = str(folder / "catalog")
    raw["pillars"]["split_phases"] = split
    raw["llms"]["tiny-llm"]["online"]["ttft_slo"] = ttft_slo
    return validate_dict(raw)


def _pools(res: eo.Results) -> list[list[Any]]:
    rep = res.tables["replicas"].sort_values(["phase", "gpu"])
    return rep[["phase", "gpu", "replicas"]].values.tolist()


def test_split_optimum_by_hand(tmp_path: Path) -> None:
    res = eo.solve(_scenario(tmp_path, split=True))
    assert res.optimal
    assert res.carbon == pytest.approx(1780.2, rel=1e-9)
    assert res.metrics["operational_kg"] == pytest.approx(1533.0, rel=1e-9)
    assert res.metrics["embodied_kg"] == pytest.approx(247.2, rel=1e-9)
    assert _pools(res) == [["decode", "gpu-a", 2], ["decode", "gpu-b", 1], ["prefill", "gpu-a", 1]]
    assert res.metrics["hosts"] == 2
    assert res.metrics["objective"] == pytest.approx(res.carbon, rel=1e-9)
    util = res.tables["utilisation"]
    assert set(util["phase"]) == {"prefill:nic", "decode"}


def test_split_off_is_colocated(tmp_path: Path) -> None:
    res = eo.solve(_scenario(tmp_path, split=False))
    assert res.carbon == pytest.approx(3476.8, rel=1e-9)
    assert _pools(res) == [["both", "gpu-a", 11]]


def test_kv_transfer_limits_prefill_rate(tmp_path: Path) -> None:
    """KV cache of 5 MB/token over gpu-a's NIC fallback (PCIe host: 3.125 GB/s per GPU):
    a batch's transfer takes 4*100*5e6 / 3.125e9 = 0.64 s > its 0.2 s prefill, so a NIC
    prefill replica serves 400/0.64 = 625 tokens/s (TTFT 0.84 s). NVLink (PCIe fallback,
    32 GB/s: 0.0625 s) reaches only decode pools of the same type. Decode as before:
    1 b + 2 a (memory 10 + 4*200*5e6/1e9 = 14 <= 0.9*16 GB on a). Prefill of 1000: one a
    replica sharing NVLink (to the 200 decoded on a) and NIC serves 200 + 0.9*625 = 762.5 <
    1000, so 2 a. GPUs 4 a (one host) + 1 b: P = 4*0.05 + 0.1 + 0.1 = 0.4 kW -> 1752 kg;
    embodied 4*20 + 60 + 127.2 = 267.2; total 2019.2 (decode on 2 b instead: 2 a + 2 b,
    embodied 160 + 127.2, P 0.4: 2039.2)."""
    res = eo.solve(_scenario(tmp_path, split=True, kv=5e6))
    assert res.carbon == pytest.approx(2019.2, rel=1e-9)
    assert _pools(res) == [["decode", "gpu-a", 2], ["decode", "gpu-b", 1], ["prefill", "gpu-a", 2]]


def test_ttft_slo_counts_the_transfer(tmp_path: Path) -> None:
    """With a 0.5 s TTFT SLO the NIC prefill (0.2 + 0.64 s) misses it and gpu-b's 2 s
    prefill too; NVLink prefill on a (0.2625 s) feeds only decode on a: 1/2000 + 1/100 =
    0.0105 a per token/s, as co-located a (1/95.24): 11 a either way, 3476.8 kg."""
    res = eo.solve(_scenario(tmp_path, split=True, kv=5e6, ttft_slo="0.5 s"))
    assert res.carbon == pytest.approx(3476.8, rel=1e-9)
    assert res.tables["replicas"]["gpus"].sum() == 11
    assert set(res.tables["replicas"]["gpu"]) == {"gpu-a"}


def test_split_needs_rightsize() -> None:
    raw = tiny()
    raw["pillars"].update(split_phases=True, rightsize=False)
    with pytest.raises(ScenarioError, match=r"pillars\.split_phases: needs pillars\.rightsize"):
        validate_dict(raw)


def test_split_switch_typo_names_the_field() -> None:
    raw = tiny()
    raw["pillars"]["split_phase"] = True
    with pytest.raises(ScenarioError, match=r"pillars\.split_phase"):
        validate_dict(raw)


@pytest.mark.parametrize("power_kw", [0.3, 0.49])
def test_phase_power_keeps_the_request_energy(power_kw: float) -> None:
    """Prefill and decode power, time-weighted over a request (TTFT, then O x TPOT), give
    the profile's request-averaged power back, also when a phase hits the TDP (0.49 kW on a
    0.5 kW GPU puts the prefill phase above it: capped, the decode takes the rest)."""
    from ecoserve_opt.data.model import GpuType
    from ecoserve_opt.data.phases import phase_power

    g = GpuType("gpu-b", 32, "pcie", 0.1, 0.5, 300, 5, 4000)
    ttft, tpot, n_out = 0.5, 0.005, 100
    pre, dec = phase_power((0.9, 0.5), ttft, tpot, n_out, power_kw, g)
    assert pre > dec >= g.idle_kw or dec == pytest.approx(g.tdp_kw)
    assert max(pre, dec) <= g.tdp_kw + 1e-12
    mean = (pre * ttft + dec * n_out * tpot) / (ttft + n_out * tpot)
    assert mean == pytest.approx(power_kw, rel=1e-12)
    assert phase_power(None, ttft, tpot, n_out, power_kw, g) == (power_kw, power_kw)


def test_replay_refuses_phase_pools(tmp_path: Path) -> None:
    """The replay simulator models co-located replicas only: a fleet with prefill/decode
    pools is refused with a message, not replayed as if its pools were co-located."""
    from ecoserve_opt.exceptions import EcoserveError
    from ecoserve_opt.simulate.fleet import load_folder

    res = eo.solve(_scenario(tmp_path / "s", split=True))
    res.to_dir(tmp_path / "out")
    with pytest.raises(EcoserveError, match=r"prefill/decode pools \(pillars\.split_phases\)"):
        load_folder(tmp_path / "out")


@pytest.mark.slow
def test_disaggregated_scenario_splits_and_never_loses(tmp_path: Path) -> None:
    """The done-when check of issue 16 on scenarios/disaggregated.yaml: with the switch on
    the optimum has prefill and decode pools, and switching it off never lowers carbon
    (the split is a superset of co-located serving; both solved to a 0 gap)."""
    from ecoserve_opt.io.yaml_loader import load_scenario

    path = Path(__file__).parents[2] / "scenarios" / "disaggregated.yaml"
    on = eo.solve(load_scenario(path))
    off = eo.solve(load_scenario(path, overrides={"pillars.split_phases": False}))
    assert on.optimal
    assert off.optimal
    assert {"prefill", "decode"} <= set(on.tables["replicas"]["phase"])
    assert set(off.tables["replicas"]["phase"]) == {"both"}
    assert on.carbon <= off.carbon * (1 + 1e-9)


def test_phase_pools_get_the_online_headroom(tmp_path: Path) -> None:
    """Phase pools are sized with the co-located points' headroom rule: ``minute-peak``
    with a burst factor of 2 halves every capacity (prefill a 1000, decode a 50, b 400,
    co-located a 47.6). Prefill: 1 a (exactly full). Decode 1000: 3 b (180 kg, 0.3 kW) or
    2 b + 4 a (200 kg, 0.4 kW, and 5 a need a second a-host). With 3 b: embodied
    20 + 180 + 2*63.6 = 327.2, P = 0.05 + 0.3 + 2*0.05 = 0.45 kW -> 1971 kg; total 2298.2.
    Served tokens stay at the demand (headroom is on capacity only)."""
    from ecoserve_opt.data import build_data

    with_catalog(tmp_path, profiles=_phase_profiles, llms=_kv(0.0))
    raw = tiny()
    raw["catalog"] = str(tmp_path / "catalog")
    raw["pillars"]["split_phases"] = True
    raw["llms"]["tiny-llm"]["online"].update(headroom_rule="minute-peak", burst_headroom=2)
    loaded = validate_dict(raw)
    d = build_data(loaded)
    assert len(d.phase_capacity_factor) == len(d.phase_points) > 0
    assert set(d.phase_capacity_factor.values()) == {2.0}
    res = eo.solve(loaded)
    assert res.carbon == pytest.approx(2298.2, rel=1e-9)
    assert _pools(res) == [["decode", "gpu-b", 3], ["prefill", "gpu-a", 1]]
    util = res.tables["utilisation"]
    assert util.loc[util["phase"] == "prefill:nic", "tokens_per_s"].sum() == pytest.approx(1000.0)
    assert util.loc[util["phase"] == "decode", "tokens_per_s"].sum() == pytest.approx(1000.0)


def test_split_serves_what_no_colocated_replica_can(tmp_path: Path) -> None:
    """gpu-a misses the TPOT SLO (60 ms > 50 ms), gpu-b the TTFT SLO (6 s > 5 s): no
    co-located replica can serve the demand (the pre-solve check says so with the switch
    off), a prefill pool on a and a decode pool on b can: 1 a (2000 tokens/s) + 2 b
    (2 x 800): embodied 20 + 120 + 2*63.6 = 267.2, P = 0.05 + 0.2 + 0.1 = 0.35 kW ->
    1533 kg; total 1800.2."""

    def prof(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df["gpu"] == "gpu-a", ["ttft_ms", "tpot_ms", "power_w"]] = [200, 60, 50]
        df.loc[df["gpu"] == "gpu-b", ["ttft_ms", "tpot_ms", "power_w"]] = [6000, 5, 100]
        return df

    with_catalog(tmp_path, profiles=prof)
    raw = tiny()
    raw["catalog"] = str(tmp_path / "catalog")
    with pytest.raises(InfeasibleError, match=r"llms\.tiny-llm\.online: no GPU configuration"):
        eo.solve(validate_dict(raw))
    raw["pillars"]["split_phases"] = True
    res = eo.solve(validate_dict(raw))
    assert res.carbon == pytest.approx(1800.2, rel=1e-9)
    assert _pools(res) == [["decode", "gpu-b", 2], ["prefill", "gpu-a", 1]]


# --- one behavioural test per constraint family of formulation/phases.py (listed in
# tests/formulation/test_families.py's TESTED) --------------------------------------------


def _built(tmp_path: Path, drop: tuple[str, ...] = (), **kw: Any) -> Any:
    import pyomo.environ as pyo

    built = eo.build(_scenario(tmp_path, split=True, **kw))
    for name in drop:
        comp = getattr(built.model, name)
        assert isinstance(comp, pyo.Constraint), name
        assert len(comp) > 0, f"{name} has no rows in this case"
        comp.deactivate()
    return built


def test_family_phase_capacity(tmp_path: Path) -> None:
    """Without ``phase_capacity`` the split rates need no replicas: no GPU is bought and,
    at idle power (the fixture's profile power), nothing is charged at all."""
    res = _built(tmp_path, drop=("phase_capacity",)).solve()
    assert float(res.metrics["objective"]) == pytest.approx(0.0, abs=1e-6)
    assert res.tables["fleet"].empty


def test_family_phase_balance(tmp_path: Path) -> None:
    """Without ``phase_balance`` a prefill pool serves the demand with no decode pool: one
    gpu-a (2000 tokens/s) on one host: embodied 20 + 63.6, P = 0.1 kW -> 438 kg; 521.6."""
    res = _built(tmp_path, drop=("phase_balance",)).solve()
    assert res.carbon == pytest.approx(521.6, rel=1e-9)
    assert _pools(res) == [["prefill", "gpu-a", 1]]


def test_family_phase_nvlink(tmp_path: Path) -> None:
    """With a 5 MB/token KV cache and a 0.5 s TTFT SLO only NVLink prefill (0.2625 s) is
    fast enough, and ``phase_nvlink`` sends it only to decode pools of its own type: 11 a
    (3476.8, test_ttft_slo_counts_the_transfer). Without it the NVLink prefill on a feeds
    decode on b: 1 a prefill + 1 b + 2 a decode, 1780.2 as in the hand-worked optimum."""
    res = _built(tmp_path, kv=5e6, ttft_slo="0.5 s").solve()
    assert res.carbon == pytest.approx(3476.8, rel=1e-9)
    res = _built(tmp_path, drop=("phase_nvlink",), kv=5e6, ttft_slo="0.5 s").solve()
    assert res.carbon == pytest.approx(1780.2, rel=1e-9)
    assert _pools(res) == [["decode", "gpu-a", 2], ["decode", "gpu-b", 1], ["prefill", "gpu-a", 1]]


def test_family_phase_bound(tmp_path: Path) -> None:
    """``phase_bound`` cuts no optimum (the same 1780.2 with and without it) but caps each
    pool at the replicas the peak demand can use: at demand scale 1e-4 (peak 0.1 tokens/s)
    a pool may hold one replica (bound 1000 x 1/100 x 1e-4 + 1 for decode on a, the
    pool's lowest capacity), so forcing two is infeasible with the bound and feasible
    without."""
    assert _built(tmp_path).solve().carbon == pytest.approx(1780.2, rel=1e-9)
    assert _built(tmp_path, drop=("phase_bound",)).solve().carbon == pytest.approx(1780.2, rel=1e-9)
    for drop in ((), ("phase_bound",)):
        built = _built(tmp_path, drop=drop)
        m = built.model
        m.demand_scale.set_value(1e-4)
        key = next(k for k in m.n_phase if k[3] == "decode")
        m.n_phase[key].fix(2)
        res = built.solve()
        assert res.status.has_solution is (drop != ())


def test_kv_path_bandwidths_come_from_the_sourced_table() -> None:
    """NVLink: half the bidirectional datasheet figure; NIC: the per-GPU scale-out NIC of
    perf/interconnect.csv (DGX H100: one 400 Gb/s ConnectX-7 per GPU = 50 GB/s); a GPU
    missing from the table falls back to its form factor's figures."""
    from ecoserve_opt.data.model import GpuType
    from ecoserve_opt.data.phases import path_gbs

    h100 = GpuType("h100-80gb", 80, "sxm", 0.1, 0.7, 0, 5, 0)
    assert path_gbs(h100, "nvlink") == pytest.approx(450.0)
    assert path_gbs(h100, "nic") == pytest.approx(50.0)
    other = GpuType("gpu-x", 16, "pcie", 0.05, 0.2, 0, 5, 0)
    assert path_gbs(other, "nvlink") == pytest.approx(32.0)
    assert path_gbs(other, "nic") == pytest.approx(3.125)

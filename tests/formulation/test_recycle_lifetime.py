"""Recycle with steady-state lifetime accounting: a hand-worked interior optimum.

Tiny fixture, Recycle on, one year, efficiency trend r = 0.25 for GPUs and hosts
(q = 1.25; q^-a = 1, .8, .64, .512, .4096, .32768, .262144, .2097152), load share 0.5.
Obsolescence shares eps_L = mean over a < L of (1 - q^-a):
  eps_5 = 1.6384/5 = 0.32768, eps_6 = 2.31072/6 = 0.38512,
  eps_7 = 3.048576/7 = 0.4355109, eps_8 = 3.8388608/8 = 0.4798576.
gpu-a: E = 100 kg, L_cat = 5 (options 5, 6, 7), unit power 0.05 + 0.5 x 0.15 = 0.125 kW
  -> 1095 kWh/y. host-x: E = 318 kg, L_cat = 5 (options 5..8), static power 0.05 kW
  (its CPU's idle; base, DIMM and SSD power are 0 in the fixture) -> 438 kWh/y.
Per-year charge of a lifetime: 100 (1 + 0.03 (L-5)) / L + (eps_L - eps_5) x kWh x CI.

At CI = 0.04 kg/kWh (kWh x CI: GPU 43.8, host 17.52):
  gpu-a  L5: 20          L6: 17.166667 + 0.05744 x 43.8 = 19.682539
         L7: 15.142857 + 0.1078309 x 43.8 = 19.865855          -> L = 6 (interior)
  host-x L5: 63.6        L6: 54.59 + 1.006349 = 55.596349
         L7: 48.154286 + 1.889198 = 50.043484
         L8: 43.3275 + 2.666152 = 45.993652                     -> L = 8 (longest)
The design stays 5 gpu-a on 2 host-x (option A of test_tiny_optimum): operational
0.85 kW x 8760 h x 0.04 = 297.84 kg. At CI = 0.5 both keep their catalog lifetime (GPU
L6: 17.17 + 31.45 > 20), and on a clean grid (CI = 0.005) both take the longest option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ecoserve_opt as eo
from ecoserve_opt.io.yaml_loader import validate_dict
from tests.helpers import solve_dict

pytestmark = pytest.mark.milp

Q = 1.25
EPS = {L: sum(1 - Q**-a for a in range(L)) / L for L in (5, 6, 7, 8)}


def _recycle(tiny_dict: dict[str, Any], ci_g: float) -> dict[str, Any]:
    tiny_dict["pillars"]["recycle"] = True
    tiny_dict["grid"]["intensity"] = f"{ci_g} gCO2e/kWh"
    tiny_dict["recycle"] = {
        "gpu_efficiency_gain": 0.25,
        "host_efficiency_gain": 0.25,
        "ageing": "flat",
    }
    return tiny_dict


def _lifetimes(res: eo.Results) -> dict[str, set[int]]:
    fleet = res.tables["fleet"]
    new = fleet[fleet["source"] == "new"]
    return {k: set(g["lifetime_years"]) for k, g in new.groupby("kind")}


def test_hand_worked_interior_gpu_lifetime(tiny_dict: dict[str, Any]) -> None:
    res = solve_dict(_recycle(tiny_dict, 40))
    assert res.optimal
    assert _lifetimes(res) == {"gpu": {6}, "host": {8}}
    gpu = 103 / 6 + (EPS[6] - EPS[5]) * 1095 * 0.04
    host = 318 * 1.09 / 8 + (EPS[8] - EPS[5]) * 438 * 0.04
    assert gpu == pytest.approx(19.682539, abs=1e-6)
    assert host == pytest.approx(45.993652, abs=1e-6)
    assert res.carbon == pytest.approx(297.84 + 5 * gpu + 2 * host, rel=1e-9)
    assert res.metrics["obsolescence_kg"] == pytest.approx(
        5 * (EPS[6] - EPS[5]) * 43.8 + 2 * (EPS[8] - EPS[5]) * 17.52, rel=1e-9
    )
    assert res.metrics["objective"] == pytest.approx(res.carbon, rel=1e-9)


@pytest.mark.parametrize(("ci_g", "gpu", "host"), [(500, 5, 5), (40, 6, 8), (5, 7, 8)])
def test_lifetimes_shorten_as_the_grid_gets_dirtier(
    tiny_dict: dict[str, Any], ci_g: float, gpu: int, host: int
) -> None:
    assert _lifetimes(solve_dict(_recycle(tiny_dict, ci_g))) == {"gpu": {gpu}, "host": {host}}


def test_grid_intensity_update_without_rebuild_matches_a_rebuild(
    tiny_dict: dict[str, Any],
) -> None:
    """Sweeps change the grid intensity through a mutable Param: the lifetime options kept
    at build time (lower envelope over every intensity) must still contain the optimum."""
    built = eo.build(validate_dict(_recycle(tiny_dict, 500)))
    assert _lifetimes(built.solve()) == {"gpu": {5}, "host": {5}}
    res = built.set(grid_intensity=40).solve()
    assert _lifetimes(res) == {"gpu": {6}, "host": {8}}
    gpu = 103 / 6 + (EPS[6] - EPS[5]) * 43.8
    host = 318 * 1.09 / 8 + (EPS[8] - EPS[5]) * 17.52
    assert res.carbon == pytest.approx(297.84 + 5 * gpu + 2 * host, rel=1e-9)


def test_recycle_on_never_raises_carbon_with_steady_state_accounting(
    tiny_dict: dict[str, Any],
) -> None:
    for ci_g in (5, 40, 500):
        on = solve_dict(_recycle(tiny_dict, ci_g))
        tiny_dict["pillars"]["recycle"] = False
        off = solve_dict(tiny_dict)
        assert off.metrics["obsolescence_kg"] == 0.0
        assert on.carbon <= off.carbon * (1 + 1e-9), ci_g


def test_horizon_accounting_keeps_the_free_lunch(tiny_dict: dict[str, Any]) -> None:
    """The old accounting (embodied only) takes the longest option even at 500 g."""
    data = _recycle(tiny_dict, 500)
    data["recycle"]["lifetime_accounting"] = "horizon"
    res = solve_dict(data)
    assert _lifetimes(res) == {"gpu": {7}, "host": {8}}
    assert res.metrics["obsolescence_kg"] == 0.0


def test_lifetime_sweep_table_plot_and_cli(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    """A grid-intensity sweep (one persistent model) gives the hand-worked lifetimes per
    point; ``ecoserve plot --kind lifetime`` draws them."""
    from typer.testing import CliRunner

    from ecoserve_opt.cli import app
    from ecoserve_opt.plot._layout import overlapping_texts
    from ecoserve_opt.plot.lifetime import lifetime_table, plot_lifetime
    from ecoserve_opt.studies import SweepResults, sweep

    out = tmp_path / "life"
    sweep(validate_dict(_recycle(tiny_dict, 500)), {"grid_intensity": [5, 40, 500]}, out)
    res = SweepResults.load(out)
    t = lifetime_table(res)
    assert t["grid_intensity"].tolist() == [5, 40, 500]
    assert t["gpu_mean"].tolist() == [7, 6, 5]
    assert t["host_mean"].tolist() == [8, 8, 5]
    assert overlapping_texts(plot_lifetime(res)) == []
    fig = tmp_path / "lifetime.svg"
    r = CliRunner().invoke(app, ["plot", str(out), "--kind", "lifetime", "--out", str(fig)])
    assert r.exit_code == 0, r.output
    assert fig.stat().st_size > 1000
    r = CliRunner().invoke(app, ["plot", str(out), "--kind", "nope"])
    assert r.exit_code != 0
    assert "lifetime" in r.output

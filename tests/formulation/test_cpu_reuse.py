"""Host-CPU Reuse: the break-even intensity against solves, and scenarios/cpu_reuse.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pyomo.environ as pyo
import pytest
from typer.testing import CliRunner

import ecoserve_opt as eo
from ecoserve_opt.breakeven import break_even, cpu_options, gpu_options
from ecoserve_opt.cli import app

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "cpu_reuse.yaml"


def _relaxed(scenario: str | None = None) -> eo.Built:
    built = eo.build(eo.load_scenario(SCENARIO, scenario=scenario))
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(built.model)
    return built


@pytest.mark.parametrize("variant", [None, "dgx_h100"])
def test_break_even_matches_lp_solves(variant: str | None) -> None:
    """With integer GPU counts relaxed (so whole-GPU rounding cannot decide), CPUs take
    offline work 10% below the break-even of every model and none 10% above it."""
    built = _relaxed(variant)
    be = break_even(built.data)
    assert set(be["llm"]) == {"llama3.2-1b", "llama3.2-3b"}
    lo, hi = be["break_even_g_per_kwh"].min(), be["break_even_g_per_kwh"].max()
    assert 0 < lo <= hi < 100
    below = built.set(grid_intensity=f"{0.9 * lo} gCO2e/kWh").solve()
    # CPUs take a visible share (a DGX H100 host's sockets decode at ~0.3% of its GPUs' rate,
    # so the share is small but three orders of magnitude above the solver noise of `above`)
    assert below.metrics["offline_share_host_cpu"] > 1e-3
    above = built.set(grid_intensity=f"{1.1 * hi} gCO2e/kWh").solve()
    assert above.metrics["offline_share_host_cpu"] == pytest.approx(0.0, abs=1e-7)


def test_break_even_hand_formula() -> None:
    """The reported break-even is E_gpu / (PUE (e_cpu - e_gpu)) of the reported pair."""
    d = eo.build(eo.load_scenario(SCENARIO)).data
    be = break_even(d).set_index("llm")
    r = be.loc["llama3.2-1b"]
    want = r.gpu_embodied_g_per_mtok / (d.pue * (r.cpu_kwh_per_mtok - r.gpu_kwh_per_mtok))
    assert r.break_even_g_per_kwh == pytest.approx(want, rel=1e-9)
    # the best CPU point needs several times the energy of the best GPU option
    cpu, gpu = cpu_options(d, "llama3.2-1b"), gpu_options(d, "llama3.2-1b")
    assert cpu["kwh_per_token"].min() > 3 * gpu["kwh_per_token"].min()
    assert r.cpu_kwh_per_mtok == pytest.approx(cpu["kwh_per_token"].min() * 1e6)


def test_break_even_grows_with_gpu_embodied() -> None:
    """Scaling the GPU side's embodied carbon up raises the break-even proportionally."""
    d = eo.build(eo.load_scenario(SCENARIO)).data
    base = break_even(d).set_index("llm")["break_even_g_per_kwh"]
    for g in d.gpus.values():
        g.embodied_kg *= 2.0
    for h in d.hosts.values():
        h.embodied_scale *= 2.0
    doubled = break_even(d).set_index("llm")["break_even_g_per_kwh"]
    assert (doubled / base).to_numpy() == pytest.approx([2.0, 2.0])


def _share(intensity: float, tmp_path: Path) -> float:
    res = CliRunner().invoke(
        app,
        [
            "solve",
            str(SCENARIO),
            "--json",
            "-o",
            "grid.region=null",
            "-o",
            "grid.country=null",
            "-o",
            f"grid.intensity={intensity} gCO2e/kWh",
            "--out",
            str(tmp_path / f"ci{intensity}"),
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{") :])
    assert out["status"] == "optimal"
    return float(out["offline_share_host_cpu"])


def test_cpu_reuse_scenario_done_when(tmp_path: Path) -> None:
    """Issue 15: host-CPU share of offline work above 1% at 5 gCO2e/kWh, never rising as
    the intensity goes to 100, 400 and 800."""
    shares = [_share(ci, tmp_path) for ci in (5, 100, 400, 800)]
    assert shares[0] > 0.01
    assert all(b <= a + 1e-9 for a, b in zip(shares, shares[1:], strict=False))
    assert shares[1] < 0.1 * shares[0]  # above the ~13 g break-even only rounding remains


def test_host_cpu_cores_split() -> None:
    """Host cores by use: total = deployed sockets x cores; offline CPU cores = socket
    equivalents of the host-CPU work; shares sum to 1; GPU serving = cores reserved per GPU
    and per host."""
    res = eo.solve(eo.load_scenario(SCENARIO))
    hc = res.tables["host_cpu"]
    dep = res.tables["deployment"]
    assert float(hc["cores"].sum()) == pytest.approx(float(dep["cores"].sum()))  # one slot
    hn = eo.load_scenario(SCENARIO).scenario.host_needs
    want_gpu = hn.cores_per_gpu * dep["gpus"].sum() + hn.cores_per_host * dep["hosts"].sum()
    assert float(hc["cores_gpu_serving"].sum()) == pytest.approx(float(want_gpu))
    shares = [res.metrics[f"host_cpu_{p}"] for p in ("gpu_serving", "offline", "idle")]
    assert sum(shares) == pytest.approx(1.0)
    assert res.metrics["host_cpu_offline"] > 0.1  # CPUs work hard when they pay
    off = res.tables["offline"]
    cpu_tok = float(off.loc[off["where"].str.startswith("cpu:"), "tokens_per_s"].sum())
    assert cpu_tok > 0
    dgx = eo.solve(eo.load_scenario(SCENARIO, scenario="dgx_h100"))
    assert dgx.metrics["host_cpu_offline"] == pytest.approx(0.0, abs=1e-9)
    assert dgx.metrics["offline_share_host_cpu"] == pytest.approx(0.0, abs=1e-9)


def test_compare_reports_break_even(tmp_path: Path) -> None:
    """compare's break-even table: the scenario's grid, whether it pays, breakeven.csv and a
    summary line per LLM."""
    import pandas as pd

    from ecoserve_opt.compare import breakeven_lines, cpu_breakeven, write_compare

    be = cpu_breakeven(eo.load_scenario(SCENARIO))
    assert be["scenario_grid_g_per_kwh"].tolist() == pytest.approx([5.0, 5.0])
    assert be["pays_at_scenario_grid"].all()
    dgx = cpu_breakeven(eo.load_scenario(SCENARIO, scenario="dgx_h100"))
    assert not dgx["pays_at_scenario_grid"].any()
    table = pd.DataFrame({"design": ["EcoServe"]})
    table.attrs["breakeven"] = be
    lines = breakeven_lines(be)
    assert len(lines) == 2
    # the printed figure is the hand formula E_gpu / (PUE (e_cpu - e_gpu)) of the reported pair
    r = be.set_index("llm").loc["llama3.2-1b"]
    want = r.gpu_embodied_g_per_mtok / (1.12 * (r.cpu_kwh_per_mtok - r.gpu_kwh_per_mtok))
    assert f"llama3.2-1b: {want:.1f} gCO2e/kWh" in lines[0]
    # the documented figures (docs/profiles.md): 10.7 with the default continuous-batching GPU
    # power, 10.1 with static-batch power (a GPU token needs less energy, so CPUs lose more)
    assert want == pytest.approx(10.7, abs=0.05)
    sb = cpu_breakeven(eo.load_scenario(SCENARIO, overrides={"profiles.power": "static-batch"}))
    assert sb.set_index("llm").loc["llama3.2-1b", "break_even_g_per_kwh"] == pytest.approx(
        10.1, abs=0.05
    )
    assert "it pays at the scenario's 5 gCO2e/kWh" in lines[0]
    write_compare(table, tmp_path)
    back = pd.read_csv(tmp_path / "breakeven.csv")
    assert back["break_even_g_per_kwh"].tolist() == pytest.approx(be["break_even_g_per_kwh"])

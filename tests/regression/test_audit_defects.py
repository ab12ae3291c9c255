"""Regression tests for the audited defects of issue 12 (each failed before its fix)."""

from __future__ import annotations

from typing import Any

import pytest

import ecoserve_opt as eo
from tests.conftest import make_scenario


# --- defect 1: gpu_hours weighted by 365 x slot hours instead of 8760 h per year ------------
@pytest.mark.parametrize("slots", [1, 4, 24])
def test_gpu_hours_is_mounted_gpus_times_8760_for_any_time_slots(
    tiny_dict: dict[str, Any], slots: int
) -> None:
    """GPU-hours = GPUs mounted x 8760 h per year, whatever the number of time slots."""
    res = eo.solve(make_scenario(tiny_dict, time_slots=slots, horizon="2 years"))
    assert res.optimal
    dep = res.tables["deployment"]
    mounted = dep.loc[dep["gpu"] != "none", "gpus"].sum()  # summed over both years
    # hand-worked: gpu-a serves 4 x 100 / (1 s + 100 x 10 ms) = 200 tok/s -> 5 per year
    assert mounted == pytest.approx(2 * 5)
    assert res.metrics["gpu_hours"] == pytest.approx(mounted * 8760.0)


# --- defect 6: Recycle off gave hosts the shortest candidate GPU lifetime --------------------
def test_recycle_off_keeps_catalog_lifetimes_and_rightsize_never_raises_carbon(
    tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    """With gpu-b living 3 years (like an L4 in a custom catalog), Recycle off means every item
    keeps its own catalog lifetime: hosts 5 y, gpu-a 5 y. Rightsize on only adds choices, so it
    cannot raise carbon."""
    import pandas as pd

    from tests.conftest import TINY

    gpus = pd.read_csv(TINY / "catalog" / "gpus.csv")
    gpus.loc[gpus["gpu"] == "gpu-b", "lifetime_years"] = 3
    cat = catalog_copy(gpus=gpus)
    base = {**tiny_dict, "catalog": str(cat)}
    on = eo.solve(make_scenario(base, **{"pillars.rightsize": True}))
    off = eo.solve(make_scenario(base, **{"pillars.rightsize": False}))
    assert on.optimal
    assert off.optimal
    assert on.carbon <= off.carbon * (1 + 1e-9)
    catalog_life = {"gpu-a": 5, "gpu-b": 3, "host-x": 5}
    for res in (on, off):
        fleet = res.tables["fleet"]
        assert len(fleet)
        for _, row in fleet.iterrows():
            assert row["lifetime_years"] == catalog_life[row["item"]], row.to_dict()


# --- defect 4: offline work credited for whole slots that only partly overlap its window ----
def _window_hours(window: tuple[int, int], slot: int, slot_hours: float) -> int:
    a, b = window
    hours = range(a, b) if a < b else range(a, b + 24)
    return sum(1 for h in hours if slot * slot_hours <= h % 24 < (slot + 1) * slot_hours)


def test_offline_credit_is_the_window_overlap_hand_worked(tiny_dict: dict[str, Any]) -> None:
    """Window 4-8 h with 6-hour slots: slots 0 and 1 each hold 2 window hours. 5.76e6 tokens
    a day = 400 tokens/s for the 4 window hours = 2 replicas of gpu-a (200 tokens/s each) on
    top of the 5 the online 1000 tokens/s need: 7 GPUs. Crediting whole slots (6 h each)
    needed only 6."""
    s = make_scenario(
        tiny_dict,
        time_slots=4,
        **{
            "hardware.gpus": ["gpu-a"],
            "pillars.shift_offline": True,
            "llms.tiny-llm.offline": {
                "tokens_per_day": 5.76e6,
                "input_tokens": 100,
                "output_tokens": 100,
                "window": [4, 8],
            },
        },
    )
    res = eo.solve(s)
    assert res.optimal
    assert res.tables["deployment"]["gpus"].sum() == pytest.approx(7)
    off = res.tables["offline"]
    assert off["tokens_per_day"].sum() == pytest.approx(5.76e6)
    for _, r in off.iterrows():
        hours = _window_hours((4, 8), int(r["slot"]), 6.0)
        assert r["tokens_per_day"] == pytest.approx(r["tokens_per_s"] * 3600 * hours)


@pytest.mark.milp
def test_paper_one_year_four_slots_runs_no_offline_work_outside_its_window() -> None:
    """`solve scenarios/ecoserve_paper.yaml -s one_year -o time_slots=4`: the offline volume
    recomputed from the served rates (utilisation table for GPUs, offline table for CPUs) and
    the window hours of each slot meets each daily demand (before: 29% of the 70B batch ran
    outside its overnight window 20-8 h)."""
    from tests.conftest import REPO

    loaded = eo.load_scenario(
        REPO / "scenarios" / "ecoserve_paper.yaml", scenario="one_year", overrides={"time_slots": 4}
    )
    res = eo.solve(loaded)
    assert res.status.has_solution
    util, off = res.tables["utilisation"], res.tables["offline"]
    for llm, spec in loaded.scenario.llms.items():
        assert spec.offline is not None
        window = spec.offline.window
        gpu = util[(util["class"] == "offline") & (util["llm"] == llm)]
        in_window = sum(
            r["tokens_per_s"] * 3600 * _window_hours(window, int(r["slot"]), 6.0)
            for _, r in gpu.iterrows()
        )
        cpu = off[(off["llm"] == llm) & off["where"].str.startswith("cpu:")]
        in_window += sum(
            r["tokens_per_s"] * 3600 * _window_hours(window, int(r["slot"]), 6.0)
            for _, r in cpu.iterrows()
        )
        assert in_window >= spec.offline.tokens_per_day * (1 - 1e-6), llm


# --- defect 8: a huge demand was reported optimal with 0 GPUs and 0 kgCO2e ------------------
def test_huge_online_demand_is_rejected_before_the_solve(tiny_path: Any) -> None:
    from typer.testing import CliRunner

    from ecoserve_opt.cli import app

    r = CliRunner().invoke(
        app, ["solve", str(tiny_path), "-o", "llms.tiny-llm.online.tokens_per_s=1e20"]
    )
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == (
        f"error: {tiny_path}: llms.tiny-llm.online.tokens_per_s: 1e+20 tokens/s is out of "
        "range: it needs about 2.5e+17 GPUs (or CPU sockets) even at the most productive "
        "configuration (400 tokens/s each); at most 1e+08 are supported"
    )
    assert "optimal" not in r.output


def test_huge_offline_demand_is_rejected_before_the_solve(tiny_dict: dict[str, Any]) -> None:
    from ecoserve_opt.exceptions import ScenarioError

    s = make_scenario(tiny_dict, **{"llms.tiny-llm.offline": {"tokens_per_day": 1e30}})
    with pytest.raises(ScenarioError) as exc:
        eo.build(s)
    assert exc.value.path == "llms.tiny-llm.offline.tokens_per_day"
    assert "out of range" in exc.value.reason


def test_unserved_demand_is_never_reported_optimal(
    tiny_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the range check, HiGHS calls 1e20 tokens/s 'optimal' with 0 GPUs (the demand
    is beyond its infinity); the post-solve check rejects that answer: exit 4, no results."""
    from typer.testing import CliRunner

    from ecoserve_opt import checks
    from ecoserve_opt.cli import app

    monkeypatch.setattr(
        checks, "CHECKS", tuple(c for c in checks.CHECKS if c is not checks.check_demand_range)
    )
    r = CliRunner().invoke(
        app, ["solve", str(tiny_path), "-o", "llms.tiny-llm.online.tokens_per_s=1e20", "--json"]
    )
    assert r.exit_code == 4, r.output
    assert '"status": "error"' in r.stdout
    assert "optimal" not in r.stdout
    assert r.stderr.startswith(
        "error: solution rejected: demand not met (llms.tiny-llm.online year 1 slot 0: 0 of "
        "1e+20 tokens/s)"
    )


def test_post_solve_check_flags_a_solution_that_drops_demand(tiny_dict: dict[str, Any]) -> None:
    import pyomo.environ as pyo

    built = eo.build(make_scenario(tiny_dict))
    outcome = built.solver.solve(built.model)
    assert built.results(outcome).optimal
    for k in built.model.XK:  # a "solution" that serves only half the demand
        built.model.x[k].set_value(0.5 * pyo.value(built.model.x[k]))
    bad = built.results(outcome)
    assert bad.status == eo.Status.ERROR
    assert not bad.optimal
    assert not bad.tables
    assert "llms.tiny-llm.online year 1 slot 0: 500 of 1000 tokens/s" in bad.meta["error"]


# --- defect 7: `sxm` lumped SXM4 and SXM5, so new H100s were mounted in owned A100 hosts -----
def test_bundled_catalog_gpu_host_compatibility() -> None:
    """An H100 (SXM5) cannot be mounted in an owned DGX-A100-class host (SXM4 baseboard) and
    an A100 not in an HGX H100 host; PCIe hosts take PCIe cards of several generations, an
    H100 PCIe card included."""
    from dataclasses import replace

    from ecoserve_opt.data import build_data, gpu_fits_host
    from ecoserve_opt.io.yaml_loader import validate_dict

    pcie = ["l40s", "l4", "a10g", "t4"]  # Ada, Ada, Ampere, Turing
    loaded = validate_dict(
        {
            "name": "compat",
            "grid": {"intensity": 400},
            "llms": {"llama3-8b": {"online": {"tokens_per_s": 1000}}},
            "hardware": {
                "gpus": ["h100-80gb", "a100-80gb", *pcie],
                "hosts": ["genoa-8sxm", "genoa-4pcie"],
            },
            "inventory": {"hosts": [{"host": "rome-8sxm", "count": 2, "age_years": 3}]},
            "pillars": {"reuse": True},
        }
    )
    d = build_data(loaded)
    pairs = set(d.host_gpu)
    assert ("owned:rome-8sxm", "h100-80gb") not in pairs
    assert ("owned:rome-8sxm", "a100-80gb") in pairs
    assert ("genoa-8sxm", "h100-80gb") in pairs
    assert ("genoa-8sxm", "a100-80gb") not in pairs
    assert {g for h, g in pairs if h == "genoa-4pcie"} == {"none", *pcie}
    h100_pcie = replace(d.gpus["h100-80gb"], form_factor="pcie")  # same Hopper die, PCIe card
    assert gpu_fits_host(h100_pcie, d.hosts["genoa-4pcie"])
    assert not gpu_fits_host(h100_pcie, d.hosts["owned:rome-8sxm"])


def test_new_gpu_is_not_mounted_in_an_owned_host_of_another_generation(
    tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    """A free owned SXM host of the older generation (gen-a) would be the cheapest home for the
    new gen-b GPUs; its baseboard cannot take them, so new hosts are bought."""
    import pandas as pd

    from tests.conftest import TINY

    gpus = pd.read_csv(TINY / "catalog" / "gpus.csv")
    gpus["form_factor"] = "sxm"
    hosts = pd.read_csv(TINY / "catalog" / "hosts.csv")
    hosts.loc[hosts["host"].isin(["host-x", "host-r"]), "gpu_form_factor"] = "sxm"
    hosts.loc[hosts["host"] == "host-x", "gpu_architectures"] = "gen-a"
    hosts.loc[hosts["host"] == "host-r", "gpu_architectures"] = "gen-b"
    cat = catalog_copy(gpus=gpus, hosts=hosts)
    s = make_scenario(
        {**tiny_dict, "catalog": str(cat)},
        **{
            "hardware.gpus": ["gpu-b"],
            "hardware.hosts": ["host-r"],
            "pillars.reuse": True,
            "inventory": {"hosts": [{"host": "host-x", "count": 2, "age_years": 0}]},
        },
    )
    res = eo.solve(s)
    assert res.optimal
    dep = res.tables["deployment"]
    with_gpus = dep[dep["gpus"] > 0]
    assert set(with_gpus["host"]) == {"host-r"}, dep
    assert with_gpus["gpus"].sum() == pytest.approx(3)  # 1000 / 400 tokens/s per gpu-b


def test_catalog_declares_gpu_generations_with_sources() -> None:
    from ecoserve_opt.catalog import load_catalog

    cat = load_catalog()
    for gpu, r in cat.gpus.iterrows():
        assert r["architecture"] in {"volta", "turing", "ampere", "ada", "hopper"}, gpu
        assert "[architecture]" in r["source"], gpu
    for host, r in cat.hosts.iterrows():
        if r["gpu_slots"] == 0:
            continue
        gens = str(r["gpu_architectures"]).split(";")
        assert "[gpu_architectures]" in r["source"], host
        if r["gpu_form_factor"] == "sxm":  # a baseboard takes one generation
            assert len(gens) == 1, host
        else:
            assert len(gens) > 1, host

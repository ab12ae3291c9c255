# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reproducing the EcoServe study
#
# EcoServe (Li et al., *Designing Carbon-Aware AI Inference Systems*, arXiv 2502.05043)
# cuts the carbon of LLM inference with four levers, the **4R** pillars, chosen jointly by
# an integer program:
#
# * **Reduce** host over-provisioning (memory, storage) to cut embodied carbon;
# * **Reuse** hardware already owned, and idle host CPUs for offline (batch) inference;
# * **Rightsize** GPUs and CPUs per model and workload phase against the latency SLOs;
# * **Recycle**: extend hardware lifetimes, balancing embodied amortisation against the
#   efficiency of newer generations.
#
# The paper reports 1.4-2.2x lower total carbon across settings and up to 47% lower carbon
# than performance-, energy- and cost-optimised designs. This notebook reruns that
# comparison on `scenarios/ecoserve_paper.yaml` (online + offline services, offline about
# 55% of the tokens, older hardware owned) with `ecoserve_opt.compare`, the same code as
# `ecoserve compare scenarios/ecoserve_paper.yaml`.
#
# **Small settings.** To run in well under a minute (this notebook is executed in CI) it
# uses the scenario's `one_year` override group, three time slots per day, a 2% MIP gap and
# a few seconds per solve. Set `SMALL = False` for the full three-year study (several
# minutes).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import ecoserve_opt as eo
from ecoserve_opt.compare import check_invariants, compare, conventional_pillars, cpu_reuse_saving
from ecoserve_opt.paths import scenarios_dir
from ecoserve_opt.plot.compare import (
    pillar_savings,
    plot_design_points,
    plot_pillar_contributions,
)
from ecoserve_opt.plot.fleet import carbon_breakdown, fleet_mix

SMALL = True
SCENARIO = scenarios_dir() / "ecoserve_paper.yaml"
GROUPS = "one_year" if SMALL else None
FAST = (
    {"time_slots": 3, "solver.mip_rel_gap": 0.02, "solver.time_limit": 60} if SMALL else {}
)

loaded = eo.load_scenario(SCENARIO, scenario=GROUPS, overrides=FAST)
sc = loaded.scenario
print(f"{sc.name}: {sc.description}")
print(f"horizon {sc.horizon / 8760:g} years, {sc.time_slots} slots/day, grid {sc.grid.region}")

# %% [markdown]
# ## Design points
#
# `compare` solves the scenario as four families of designs:
#
# * **conventional**: what operators build today (new full-SKU hosts, catalog lifetimes, no
#   owned hardware, no CPU offload, no time shifting; GPU type, count and TP chosen per
#   model), optimised for performance, energy, cost and carbon in turn;
# * **same-design-space**: every pillar on, only the objective differs: performance-,
#   energy- and cost-optimised, and EcoServe (carbon-optimised);
# * **leave-one-out**: EcoServe without one pillar; **add-one**: the conventional
#   carbon-optimised design plus one pillar.
#
# Performance-optimised means the cheapest design whose mean latency is within
# `latency_tolerance` (10%) of the lowest achievable.

# %%
table = compare(loaded)
cols = [
    "design", "family", "status", "operational_kg", "embodied_kg", "carbon_kg",
    "cost_usd", "energy_kwh", "ecoserve_reduction",
]
table[cols].style.format(
    {c: "{:,.0f}" for c in cols[3:8]} | {"ecoserve_reduction": "{:.1%}"}
).hide(axis="index")

# %%
plot_design_points(table);

# %% [markdown]
# ## EcoServe against performance-, energy- and cost-optimised designs
#
# `ecoserve_reduction` is how much lower EcoServe's carbon is than each design. Against the
# conventional family it measures the pillars *and* the objective; against the
# same-design-space family only the objective. Within a family each design is best on its
# own metric (within the MIP gap): `check_invariants` lists any violation.

# %%
eco_kg = table.loc[table["design"] == "EcoServe", "carbon_kg"].iloc[0]
base = table[table["family"].isin(["conventional", "same-design-space"])]
for _, r in base[base["design"] != "EcoServe"].iterrows():
    gap_note = " (within the MIP gap)" if r["reduction_within_gap"] else ""
    print(
        f"EcoServe vs {r['design']:<36} {r['ecoserve_reduction']:6.1%} lower carbon{gap_note} "
        f"({r['status']}, {r['gpus']:.0f} GPUs, {r['latency_s_per_token'] * 1000:.1f} ms/token)"
    )
print("invariant violations:", check_invariants(table) or "none")

# %% [markdown]
# ## What each pillar contributes
#
# Each pillar added alone to the conventional carbon-optimised design, and left out of
# EcoServe. The two differ: pillars overlap (and Rightsize is already part of the
# conventional design). Effects within the MIP gap are hatched: not significant.

# %%
plot_pillar_contributions(table);
pillar_savings(table).style.format(
    {
        "leave_one_out_kg": "{:,.0f}",
        "leave_one_out_share": "{:.1%}",
        "add_one_kg": "{:,.0f}",
        "add_one_share": "{:.1%}",
    }
).hide(axis="index")

# %%
saving = cpu_reuse_saving(table)
if saving is not None and saving > 0.5:
    print(f"running offline work on idle host CPUs saves {saving:,.0f} kgCO2e over the horizon")
elif saving is not None:
    print("host-CPU reuse saves nothing here: the optimum runs no offline work on host CPUs")
eco_row = table[table["design"] == "EcoServe"].iloc[0]
print(
    f"EcoServe's offline tokens: {eco_row['offline_share_host_cpu']:.0%} on host CPUs, "
    f"{eco_row['offline_gpu']:.0%} on GPUs, {eco_row['offline_owned']:.0%} on owned hardware"
)

# %% [markdown]
# ## Inside two designs: conventional cost-optimised vs EcoServe
#
# The comparison table keeps totals only; to see *why* EcoServe's carbon is lower, solve
# the two designs and draw their fleets and carbon by component.

# %%
cost_opt = eo.solve(
    eo.load_scenario(
        SCENARIO,
        scenario=GROUPS,
        overrides=FAST | {f"pillars.{k}": v for k, v in conventional_pillars(loaded).items()},
    ),
    objective="cost",
)
ecoserve = eo.solve(loaded, objective="carbon")

fig, axes = plt.subplots(2, 2, figsize=(13, 7.5), layout="constrained")
fleet_mix(cost_opt, ax=axes[0, 0], title="conventional cost-optimised fleet")
fleet_mix(ecoserve, ax=axes[0, 1], title="EcoServe fleet")
carbon_breakdown(cost_opt, ax=axes[1, 0], title="conventional cost-optimised: carbon")
carbon_breakdown(ecoserve, ax=axes[1, 1], title="EcoServe: carbon by component");

# %% [markdown]
# ## With clean electricity, embodied carbon takes over
#
# The paper observes that with low-carbon electricity embodied carbon exceeds half of the
# total. The scenario's `clean_grid` group moves the fleet to `europe-north1`; how far the
# embodied share rises here depends strongly on the embodied-carbon source
# (`embodied_source`: ACT, GreenSKU and Boavizta differ by large factors, see the data
# documentation).

# %%
clean = eo.solve(
    eo.load_scenario(
        SCENARIO, scenario=",".join(g for g in (GROUPS, "clean_grid") if g), overrides=FAST
    )
)
shares = pd.DataFrame(
    [
        {
            "design": name,
            "mean grid intensity (gCO2e/kWh)": r.power["grid_kg_per_kwh"].mean() * 1000,
            "carbon (kgCO2e)": r.carbon,
            "embodied share": r.metrics["embodied_kg"] / r.carbon,
        }
        for name, r in (("scenario grid", ecoserve), ("clean grid", clean))
    ]
)
shares.style.format(
    {
        "mean grid intensity (gCO2e/kWh)": "{:,.0f}",
        "carbon (kgCO2e)": "{:,.0f}",
        "embodied share": "{:.0%}",
    }
).hide(axis="index")

# %%
carbon_breakdown(clean, title="EcoServe on a clean grid: carbon by component");

# %% [markdown]
# ## How much does Reduce save? It depends on the host data
#
# Reduce trims DIMMs, SSDs and CPU sockets from the over-provisioned host. What that saves
# rests on two uncertain inputs: the power of an idle DIMM or drive, and the embodied
# carbon of DRAM, SSDs and the chassis (fab-only vs whole-part LCA). `reduce_sensitivity`
# solves Rightsize only and Rightsize + Reduce for each case (docs/data.md has the table for
# the full scenario, written by `python benchmarks/run_host_sensitivity.py`). The small
# run compares the shipped catalog with the GreenSKU nameplate power figures used before;
# the full run adds the low and high ends of the power ranges and the two embodied methods.

# %%
from ecoserve_opt.host_sensitivity import CASES, reduce_sensitivity

cases = (CASES[0], CASES[-1]) if SMALL else CASES  # small: shipped catalog vs nameplate
sens = reduce_sensitivity(loaded, cases=cases)
sens[
    ["case", "saving_pct", "saving_operational_pct", "saving_embodied_pct",
     "dram_share_of_operational_pct", "status"]
].style.format(
    {c: "{:.1f}" for c in ("saving_pct", "saving_operational_pct", "saving_embodied_pct",
                           "dram_share_of_operational_pct")}
).hide(axis="index")

# %% [markdown]
# ## When does running offline work on idle host CPUs pay?
#
# The paper's signature Reuse mechanism runs offline inference on the under-used CPUs of
# GPU hosts. A CPU token costs only its marginal energy (the CPU's embodied carbon is already
# spent); a token on *additional* GPU capacity costs that capacity's embodied carbon and its
# energy. `cpu_breakeven` gives, per offline model, the grid intensity below which the CPU
# token is cheaper, from the calibrated CPU profiles (docs/profiles.md: fitted on published
# llama.cpp / AMX measurements, overestimating large-batch CPU throughput, i.e. in the CPUs'
# favour). Against GPUs already bought for online traffic and idle at night, CPUs never pay.

# %%
from ecoserve_opt.compare import cpu_breakeven

be_paper = cpu_breakeven(loaded)
be_paper[["llm", "embodied_source", "break_even_g_per_kwh", "cpu_host", "gpu",
          "scenario_grid_g_per_kwh", "pays_at_scenario_grid"]].style.format(
    {"break_even_g_per_kwh": "{:.2f}", "scenario_grid_g_per_kwh": "{:.0f}"}
).hide(axis="index")

# %% [markdown]
# `scenarios/cpu_reuse.yaml` shows the mechanism's domain: offline Llama 3.2 1B/3B work on an
# L40S/L4 fleet with Emerald Rapids (AMX) hosts. Sweeping the grid intensity shows the CPUs'
# share of the offline tokens drop to integer-rounding leftovers above the break-even; the
# same work on a DGX H100 fleet (`dgx_h100`) has a break-even of ~2.5 gCO2e/kWh and a lower
# total carbon.

# %%
reuse = eo.load_scenario(scenarios_dir() / "cpu_reuse.yaml")
be_reuse = cpu_breakeven(reuse)
built = eo.build(reuse)
sweep_rows = []
for ci in (2, 5, 10, 20, 100, 400):
    r = built.set(grid_intensity=ci).solve()
    sweep_rows.append(
        {
            "grid (gCO2e/kWh)": ci,
            "offline tokens on host CPUs": r.metrics["offline_share_host_cpu"],
            "host cores busy with offline work": r.metrics["host_cpu_offline"],
            "carbon (kgCO2e)": r.carbon,
        }
    )
print(
    "break-even (gCO2e/kWh): "
    + ", ".join(f"{r.llm} {r.break_even_g_per_kwh:.1f}" for r in be_reuse.itertuples())
)
pd.DataFrame(sweep_rows).style.format(
    {
        "offline tokens on host CPUs": "{:.2%}",
        "host cores busy with offline work": "{:.0%}",
        "carbon (kgCO2e)": "{:,.0f}",
    }
).hide(axis="index")

# %% [markdown]
# **Under which conditions the paper's Reuse claim holds** (with this project's calibrated
# data): only when all of these hold at once: (1) the offline work would otherwise need
# *additional* GPUs (it cannot fill idle GPU hours of an online fleet); (2) the grid is below
# a few gCO2e/kWh: ~11-12 on PCIe L40S/L4 fleets with AMX hosts, 2.5-2.6 on DGX H100 fleets
# (GreenSKU embodied), 0.3-1.6 with ACT's fab-only embodied figures, up to ~17 with Boavizta's
# (docs/profiles.md, "Host-CPU Reuse break-even"); (3) the model is small (70B models reach
# ~0.6 gCO2e/kWh on the default scenario). Even then the CPUs take only a few percent of the
# offline tokens: a DGX H100 host's CPUs deliver about 1% of its GPUs' throughput.

# %% [markdown]
# ## Rightsize per phase: prefill and decode pools against Splitwise's direction
#
# `pillars.split_phases` lets the MILP serve an LLM with a prefill pool and a decode pool
# (own GPU type, TP degree and batch each; KV cache over NVLink or the NIC), besides
# co-located replicas. `scenarios/disaggregated.yaml` is a long-prompt 70B code service
# (Azure 2023 code trace). Splitwise (Patel et al., ISCA 2024) reports, against co-located
# clusters at equal SLOs, up to 1.4x higher throughput at 20% lower cost, or 2.35x more
# throughput under the same power and cost budgets. Below: throughput per GPU, per kWh and
# per dollar of the split optimum over the co-located one, same demand and SLOs.

# %%
import ecoserve_opt as eo

split_runs = {
    s: eo.solve(eo.load_scenario("scenarios/disaggregated.yaml",
                                 overrides={"pillars.split_phases": s}))
    for s in (False, True)
}  # fmt: skip
on, off = split_runs[True].metrics, split_runs[False].metrics
print(split_runs[True].tables["replicas"][["gpu", "tp", "phase", "replicas", "gpus"]])
print(f"carbon: {off['carbon_kg']:,.0f} -> {on['carbon_kg']:,.0f} kgCO2e/yr "
      f"({1 - on['carbon_kg'] / off['carbon_kg']:.0%} less)")
for name, col in (("per GPU", "gpus"), ("per kWh", "energy_kwh"), ("per USD", "cost_usd")):
    print(f"throughput {name}: {off[col] / on[col]:.2f}x the co-located design's")

# %% [markdown]
# Same direction as Splitwise: the split serves the same tokens with fewer GPUs, less
# energy and less money (1.5x the throughput per GPU and per dollar, 2.0x per kWh here,
# with the default continuous-batching GPU power; Splitwise reports 1.4x to 2.35x). The magnitudes differ for stated reasons: (1) the co-located
# model here is static batching (a batch is prefilled, then decoded), so the TTFT SLO caps
# its decode batch; Splitwise's baseline runs mixed continuous batching, which narrows the
# gap; (2) Splitwise's best heterogeneous designs prefill on H100 and decode on A100; in
# this scenario no candidate host takes SXM A100s, and the optimum uses H100 for both
# pools, gaining from a larger decode batch and a smaller prefill TP degree instead of a
# cheaper decode GPU; (3) power here comes from the calibrated roofline per phase, not
# from measured phase power caps.

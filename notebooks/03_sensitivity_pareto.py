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
# # Grid-intensity sensitivity and Pareto fronts across regions
#
# How clean the electricity is decides what a low-carbon fleet looks like: on a dirty grid
# operational carbon dominates and efficient GPUs win; on a clean grid embodied carbon
# dominates and reusing, rightsizing and keeping hardware longer matter more. This notebook
#
# 1. sweeps the annual grid intensity and shows how the optimal fleet and its carbon change
#    (`ecoserve_opt.studies.sweep`, the code behind `ecoserve sweep`);
# 2. traces carbon-vs-cost Pareto fronts by the epsilon-constraint method in three cloud
#    regions (`ecoserve_opt.studies.pareto`, behind `ecoserve pareto`).
#
# Sweeps re-solve one persistent HiGHS model with a mutable parameter, warm-started, and
# write each point to a results store as it finishes (re-running resumes). Here the stores
# go to a temporary folder.
#
# **Small settings.** For CI this runs the EcoServe scenario over one year with three time
# slots per day, a 5% MIP gap, a 2-second limit per solve and coarse grids. Set
# `SMALL = False` for finer sweeps and fronts with tighter gaps (minutes, not seconds).

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import ecoserve_opt as eo
from ecoserve_opt.studies.pareto import pareto
from ecoserve_opt.paths import scenarios_dir
from ecoserve_opt.plot import plot_breakdown, plot_pareto, plot_sensitivity
from ecoserve_opt.studies import sweep

SMALL = True
SCENARIO = scenarios_dir() / "ecoserve_paper.yaml"
GROUPS = "one_year" if SMALL else None
FAST = (
    {"time_slots": 3, "solver.mip_rel_gap": 0.05, "solver.time_limit": 60}
    if SMALL
    else {"solver.mip_rel_gap": 0.01}
)
INTENSITIES = list(range(0, 801, 200)) if SMALL else list(range(0, 801, 50))
FRONT_POINTS = 4 if SMALL else 12
REGIONS = ["europe-north1", "us-central1", "asia-south1"]  # Finland, Iowa, Mumbai

WORK = Path(tempfile.mkdtemp(prefix="ecoserve-sweeps-"))
loaded = eo.load_scenario(SCENARIO, scenario=GROUPS, overrides=FAST)
print(loaded.scenario.name, "-", loaded.scenario.description)

# %% [markdown]
# ## 1. Sensitivity to grid intensity
#
# `grid_intensity` (gCO2e/kWh) rescales the scenario's intensity profile, keeping its
# hourly shape: 0 is a carbon-free grid, 800 a coal-heavy one.

# %%
sens = sweep(loaded, {"grid_intensity": INTENSITIES}, WORK / "grid-sweep")
sens

# %%
points = sens.sweep()
summary = points[["grid_intensity", "status", "carbon_kg", "operational_kg", "embodied_kg"]].copy()
summary["embodied share"] = summary["embodied_kg"] / summary["carbon_kg"]
summary["design"] = points["design"]
summary.style.format(
    {
        "carbon_kg": "{:,.0f}",
        "operational_kg": "{:,.0f}",
        "embodied_kg": "{:,.0f}",
        "embodied share": "{:.0%}",
    }
).hide(axis="index")

# %% [markdown]
# The fleet (top: GPUs per type and hosts) and the carbon by component (bottom,
# operational solid and embodied hatched) along the sweep; dotted lines mark where the
# optimal design changes.

# %%
plot_sensitivity(sens);

# %%
plot_breakdown(sens);

# %% [markdown]
# ## 2. Carbon vs cost: Pareto fronts in three regions
#
# For each region, the front's two ends are the cost-optimal and the carbon-optimal
# designs (each lexicographic, so neither is dominated); points in between minimise cost
# under a carbon cap (with `refine`, the full setting, each is then re-solved for the least
# carbon at that cost). Every point on a front is a design no other design beats on both
# carbon and cost.

# %%
fronts = {}
for region in REGIONS:
    scenario = eo.load_scenario(
        SCENARIO, scenario=GROUPS, overrides=FAST | {"grid.region": region}
    )
    fronts[region] = pareto(
        scenario, WORK / f"pareto-{region}", x="cost", y="carbon",
        points=FRONT_POINTS, baselines=False, refine=not SMALL,
    )
    print(region, fronts[region])

# %%
fig, axes = plt.subplots(1, len(REGIONS), figsize=(6 * len(REGIONS), 4.6), layout="constrained")
for ax, (region, front) in zip(axes, fronts.items()):
    plot_pareto(front, ax=ax, annotate=False, title=region)

# %% [markdown]
# What moving from the cost-optimal to the carbon-optimal end of each front buys, and what
# it costs:

# %%
rows = []
for region, res in fronts.items():
    f = res.pareto_front()
    cheap, clean = f.loc[f["cost_usd"].idxmin()], f.loc[f["carbon_kg"].idxmin()]
    rows.append(
        {
            "region": region,
            "designs on front": len(f),
            "carbon at min cost (kgCO2e)": cheap["carbon_kg"],
            "min carbon (kgCO2e)": clean["carbon_kg"],
            "carbon saved": 1 - clean["carbon_kg"] / cheap["carbon_kg"],
            "cost premium": clean["cost_usd"] / cheap["cost_usd"] - 1,
            "embodied share at min carbon": clean["embodied_kg"] / clean["carbon_kg"],
        }
    )
pd.DataFrame(rows).style.format(
    {
        "carbon at min cost (kgCO2e)": "{:,.0f}",
        "min carbon (kgCO2e)": "{:,.0f}",
        "carbon saved": "{:.1%}",
        "cost premium": "{:+.1%}",
        "embodied share at min carbon": "{:.0%}",
    }
).hide(axis="index")

# %% [markdown]
# The same runs from the command line, with results stores you can re-plot later:
#
# ```bash
# ecoserve sweep scenarios/ecoserve_paper.yaml -p grid_intensity -v 0:800:50 --out out/sweep
# ecoserve plot out/sweep --kind sensitivity --out sweep.svg
# ecoserve pareto scenarios/ecoserve_paper.yaml -o grid.region=europe-north1 --out out/front
# ecoserve plot out/front --kind pareto --out front.svg
# ```

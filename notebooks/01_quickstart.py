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
# # Quickstart: load, solve and inspect a fleet design
#
# `ecoserve-opt` designs an LLM-inference fleet (which GPUs and hosts to buy or reuse, how
# to provision and schedule them) for the lowest total carbon: operational carbon from
# electricity plus embodied carbon from manufacturing, amortised over the hardware's
# lifetime. This notebook walks through one scenario end to end:
#
# 1. load and validate a scenario file,
# 2. build the MILP and solve it with HiGHS,
# 3. read the results (status, totals, tables) and plot them,
# 4. change a parameter and re-solve the same model,
# 5. save the results and write the HTML report.
#
# Everything here is the package's public API; the command-line equivalents are
# `ecoserve solve scenarios/default.yaml --out out/default` and
# `ecoserve report out/default`.

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import ecoserve_opt as eo
from ecoserve_opt.paths import scenarios_dir
from ecoserve_opt.plot.fleet import carbon_breakdown, fleet_mix, power_profile
from ecoserve_opt.report import write_report

WORK = Path(tempfile.mkdtemp(prefix="ecoserve-quickstart-"))  # outputs go here, not the repo

# %% [markdown]
# ## 1. Load a scenario
#
# A scenario is a YAML file validated by pydantic: unknown keys and bad values fail with
# the file, the field path and the reason. `overrides` changes fields by dot-path without
# editing the file (the CLI's `--override`); here we relax the MIP gap to 1% to keep the
# notebook quick.

# %%
loaded = eo.load_scenario(
    scenarios_dir() / "default.yaml",
    overrides={"solver.mip_rel_gap": 0.01},
)
sc = loaded.scenario
print(sc.name, "-", sc.description)
print("grid:", sc.grid.region, "| horizon:", sc.horizon, "h | time slots per day:", sc.time_slots)
print("LLMs:", ", ".join(sc.llms))
print("GPU choices:", ", ".join(sc.hardware.gpus), "| hosts:", ", ".join(sc.hardware.hosts))
print("pillars:", {k: v for k, v in sc.pillars.model_dump().items()})

# %% [markdown]
# ## 2. Build, then solve
#
# `build` turns the scenario into data and a Pyomo model without solving, so the model can
# be inspected or changed first; `Built.solve()` runs HiGHS and returns `Results`.
# (`eo.solve(loaded)` does both in one call.)

# %%
built = eo.build(loaded)
print(f"{built.model.nvariables():,} variables, {built.model.nconstraints():,} constraints")
res = built.solve()
print(res.summary())

# %% [markdown]
# `res.status` says whether the optimum is proven: `optimal`, or `feasible` when a time
# limit stopped HiGHS early (then `res.metrics["gap"]` tells how far from proven it is;
# a feasible design is never reported as optimal).

# %%
print("status:", res.status.value, "| proven optimal:", res.optimal)
res.metrics[["carbon_kg", "operational_kg", "embodied_kg", "energy_kwh", "cost_usd", "gap"]]

# %% [markdown]
# ## 3. Inspect the design
#
# `res.tables` holds tidy pandas tables (also reachable as attributes): `fleet`,
# `replicas`, `deployment`, `breakdown`, `power`, `utilisation` and `offline`.

# %%
res.fleet

# %%
res.replicas

# %%
res.breakdown

# %% [markdown]
# The plotting functions take `Results` and return a matplotlib `Figure`: the fleet by
# hardware type (new vs already owned), carbon by component, and IT power over the day
# against the grid's carbon intensity.

# %%
fleet_mix(res);

# %%
carbon_breakdown(res);

# %%
power_profile(res);

# %% [markdown]
# ## 4. What if the grid were cleaner?
#
# Grid intensity, PUE, price, demand and embodied scale are mutable parameters of the
# built model: change one and re-solve the *same* HiGHS model (warm-started), without
# rebuilding. With a grid four times cleaner, operational carbon shrinks and the embodied
# share grows: the EcoServe paper's observation that with low-carbon electricity embodied
# carbon becomes a large part of the total.

# %%
built.model.ci_scale = 0.25
res_clean = built.solve()
built.model.ci_scale = 1.0

fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
carbon_breakdown(res, ax=axes[0], title="grid as in the scenario")
carbon_breakdown(res_clean, ax=axes[1], title="grid 4x cleaner")
for r, label in ((res, "as is"), (res_clean, "4x cleaner")):
    share = r.metrics["embodied_kg"] / r.metrics["carbon_kg"]
    print(f"{label:>11}: total {r.carbon:,.0f} kgCO2e, embodied share {share:.0%}")

# %% [markdown]
# ## 5. Save the results and write the report
#
# `Results.to_dir` writes every table (CSV or Parquet) with `metrics.csv` and `meta.json`;
# `Results.from_dir` reads them back. `write_report` turns such a folder into one
# self-contained HTML page (inline SVG plots, tables, scenario and solver status) that
# opens in any browser without a server.

# %%
out = res.to_dir(WORK / "default")
again = eo.Results.from_dir(out)
assert abs(again.carbon - res.carbon) < 1e-6 * res.carbon

page = write_report(out)
print("results:", sorted(p.name for p in out.iterdir()))
print(f"report: {page.name}, {page.stat().st_size / 1024:,.0f} KiB")

# %% [markdown]
# ## 6. Does the design meet its SLOs under real traffic?
#
# The MILP sizes capacity from static batch operating points. `simulate` replays traffic
# against the saved fleet: arrivals from the scenario's Azure trace (its minute-level
# peaks kept, scaled to the scenario's rate) or Poisson arrivals for a rate, routed
# join-shortest-queue to every replica, each running continuous batching with the
# profiles' per-iteration times. Here ten minutes of the busiest hour keep the notebook
# quick (`ecoserve simulate out/default` replays the full hour); `write_outputs` adds
# `slo.csv` and the latency-CDF figure to the folder, and the report shows them.
# The scenario's `headroom_rule` (default `queueing`: batch slots sized with Erlang C at
# the busiest minute's rate for a 99% attainment target, on capacity only) is what makes
# both services meet their SLOs; docs/simulate.md derives it and reports the replays.

# %%
from ecoserve_opt.plot.slo import latency_cdf
from ecoserve_opt.simulate import simulate, write_outputs

replay = simulate(out, duration_s=600, seed=0)
write_outputs(replay, out)
print(f"{replay.requests:,} requests replayed in {replay.settings['wall_s']:.1f} s")
replay.slo

# %%
latency_cdf(replay);

# %% [markdown]
# Twice the traffic overloads the same fleet: queues grow and attainment collapses.

# %%
overload = simulate(out, duration_s=300, rate_scale=2.0, seed=0)
overload.slo[["llm", "requests", "ttft_p99_s", "attainment"]]

"""``ecoserve validate``, ``solve``, ``schema`` and ``check-solver``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ecoserve_opt.cli._common import (
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    OverrideOpt,
    ScenarioArg,
    ScenarioOpt,
    console,
    df_table,
    enable_solver_log,
    err_console,
    fail,
    guarded,
    load,
)

#: Rows of the "Totals over the horizon" table: (metric key, label, unit).
TOTALS = [
    ("carbon_kg", "total carbon", "kgCO2e"),
    ("operational_kg", "  operational", "kgCO2e"),
    ("embodied_kg", "  embodied (amortised)", "kgCO2e"),
    ("energy_kwh", "facility energy", "kWh"),
    ("cost_usd", "cost (capex amortised + electricity)", "USD"),
    ("latency_s_per_token", "mean online latency per token", "s"),
    ("gpus", "GPUs (year 1)", ""),
    ("hosts", "hosts (year 1)", ""),
    ("offline_share_host_cpu", "offline work on host CPUs", "share"),
    ("gap", "MIP gap", ""),
]
HOST_COLUMNS = [
    "host",
    "owned",
    "gpu",
    "lifetime_years",
    "year",
    "hosts",
    "gpus",
    "cores",
    "dram_gb",
    "ssd_tb",
]


def print_results(res: Any) -> None:
    """Readable summary of a Results object."""
    from ecoserve_opt.solve import Status

    st = res.status
    colour = {"optimal": "green", "feasible": "yellow"}.get(st.value, "red")
    console.print(
        f"[bold]{res.name}[/]  objective=[bold]{res.objective}[/]  status=[{colour}]{st.value}[/]"
    )
    if st == Status.FEASIBLE:
        console.print(
            f"[yellow]NOT OPTIMAL: stopped by a limit with gap {res.metrics['gap']:.2%} "
            f"(bound {res.metrics['bound']:.6g}); the fleet below is the best found.[/]"
        )
    if not st.has_solution:
        return
    m = res.metrics
    mt = Table(title="Totals over the horizon", title_justify="left")
    for col in ("metric", "value", "unit"):
        mt.add_column(col, justify="right" if col == "value" else "left")
    for key, label, unit in TOTALS:
        if key in m:
            mt.add_row(label, f"{m[key]:,.4g}", unit)
    console.print(mt)
    console.print(df_table(res.tables["breakdown"], "Carbon by component (kgCO2e)"))
    if len(res.tables["replicas"]):
        console.print(df_table(res.tables["replicas"], "Replicas"))
    if len(res.tables["deployment"]):
        console.print(df_table(res.tables["deployment"][HOST_COLUMNS], "Hosts"))


@guarded
def validate(
    scenario_file: ScenarioArg, scenario: ScenarioOpt = None, override: OverrideOpt = None
) -> None:
    """Check a scenario (schema, catalog references, pre-solve checks) without solving."""
    from ecoserve_opt.data import build_data

    loaded = load(scenario_file, scenario, override)
    data = build_data(loaded)
    console.print(
        f"[green]valid[/]: {scenario_file} ({len(data.llms)} LLMs, {len(data.gpus)} GPU types, "
        f"{len(data.hosts)} host items, {len(data.points)} operating points)"
    )


@guarded
def solve_cmd(
    scenario_file: ScenarioArg,
    scenario: ScenarioOpt = None,
    override: OverrideOpt = None,
    objective: Annotated[
        str | None, typer.Option(help="carbon | energy | cost | performance")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write results to this folder.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    time_limit: Annotated[float | None, typer.Option(help="Seconds.")] = None,
    gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
    threads: Annotated[int | None, typer.Option()] = None,
    save_lp: Annotated[Path | None, typer.Option(help="Write the LP file here.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
    solver_log: Annotated[
        bool, typer.Option("--solver-log", help="Stream HiGHS's progress log to stderr.")
    ] = False,
) -> None:
    """Solve a scenario and print the chosen fleet and its carbon."""
    from ecoserve_opt.api import build
    from ecoserve_opt.solve import Status

    if objective is not None and objective not in ("carbon", "energy", "cost", "performance"):
        raise fail(
            f"--objective: unknown objective {objective!r} (carbon, energy, cost, performance)"
        )
    if fmt not in ("csv", "parquet"):
        raise fail(f"--format: {fmt!r} is not csv or parquet")
    loaded = load(scenario_file, scenario, override)
    if solver_log:
        enable_solver_log()
    built = build(
        loaded,
        objective=objective,
        time_limit=time_limit,
        mip_rel_gap=gap,
        threads=threads,
        save_lp=save_lp,
        tee=solver_log,
    )
    res = built.solve()
    if json_out:
        sys.stdout.write(
            json.dumps({"status": res.status.value, **res.metrics.to_dict()}, default=float) + "\n"
        )
    else:
        print_results(res)
    if out is not None and res.status.has_solution:
        res.to_dir(out, fmt=fmt)
        console.print(f"results written to {out}")
    if res.status == Status.INFEASIBLE:
        from ecoserve_opt.diagnostics import diagnose_infeasible

        report = diagnose_infeasible(loaded)
        err_console.print(report.text(), highlight=False)
        raise typer.Exit(EXIT_INFEASIBLE)
    if not res.status.has_solution:
        raise fail(
            f"no solution: solver stopped with {res.meta.get('termination')}", EXIT_NO_SOLUTION
        )


def schema() -> None:
    """Print the scenario JSON schema (for editor completion)."""
    from ecoserve_opt.schema.scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")


@guarded
def check_solver() -> None:
    """Solve a two-variable MILP to check that HiGHS works."""
    import pyomo.environ as pyo

    from ecoserve_opt.solve import Solver, Status

    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers)
    m.y = pyo.Var(domain=pyo.NonNegativeReals)
    m.c = pyo.Constraint(expr=2 * m.x + m.y >= 3.5)
    m.o = pyo.Objective(expr=3 * m.x + 2 * m.y)
    s = Solver()
    out = s.solve(m)
    ok = out.status == Status.OPTIMAL and abs((out.objective or 0) - 6.0) < 1e-6
    console.print(f"{s.version}: {'ok' if ok else 'FAILED'} (objective {out.objective})")
    if not ok:
        raise typer.Exit(1)

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
    check_solver_options,
    clean,
    console,
    df_table,
    enable_solver_log,
    err_console,
    esc,
    fail,
    groups,
    guarded,
    load,
    results_folder,
)
from ecoserve_opt.numbers import fmt_carbon, fmt_gap, fmt_quantity

#: Rows of the "Totals over the horizon" table: (metric key, label). Values are shown
#: with a readable unit (``156.2 tCO2e``, ``370.8 MWh``, ``500.1 k USD``, ``42 ms/token``).
TOTALS = [
    ("carbon_kg", "total carbon"),
    ("operational_kg", "  operational"),
    ("embodied_kg", "  embodied (amortised)"),
    ("obsolescence_kg", "  obsolescence (Recycle, steady state)"),
    ("energy_kwh", "facility energy"),
    ("cost_usd", "cost (capex amortised + electricity)"),
    ("latency_s_per_token", "mean online latency"),
    ("gpus", "GPUs (year 1)"),
    ("hosts", "hosts (year 1)"),
    ("offline_share_host_cpu", "offline work on host CPUs"),
    ("host_cpu_split", "host CPU cores: GPU serving / offline / idle"),
    ("gap", "MIP gap"),
]
HOST_CPU_PARTS = ("gpu_serving", "offline", "idle")
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
        f"[bold]{esc(res.name)}[/]  objective=[bold]{res.objective}[/]  "
        f"status=[{colour}]{st.value}[/]"
    )
    if st == Status.FEASIBLE:
        console.print(
            f"[yellow]NOT OPTIMAL: stopped by a limit with gap {fmt_gap(res.metrics['gap'])} "
            f"(bound {res.metrics['bound']:,.6g}); the fleet below is the best found.[/]"
        )
    if not st.has_solution:
        return
    m = res.metrics
    mt = Table(title="Totals over the horizon", title_justify="left")
    mt.add_column("metric")
    mt.add_column("value", justify="right")
    carbon = float(m.get("carbon_kg", float("nan")))
    for key, label in TOTALS:
        if key == "host_cpu_split":
            split = [float(m.get(f"host_cpu_{p}", float("nan"))) for p in HOST_CPU_PARTS]
            if all(v == v for v in split):  # not NaN: the design has hosts
                mt.add_row(label, " / ".join(f"{v:.0%}" for v in split))
            continue
        if key not in m or (key == "obsolescence_kg" and float(m[key]) == 0.0):
            continue
        value = float(m[key])
        if key == "offline_share_host_cpu":
            text = f"{value:.0%}"
        elif key in ("operational_kg", "embodied_kg", "obsolescence_kg") and carbon > 0:
            text = f"{fmt_quantity(key, value)} ({value / carbon:.0%})"
        else:
            text = fmt_quantity(key, value)
        mt.add_row(label, text)
    console.print(mt)
    bd = res.tables["breakdown"]
    if len(bd):
        bt = Table(title="Carbon by component", title_justify="left")
        for col in ("component", "operational", "embodied", "total"):
            bt.add_column(col, justify="left" if col == "component" else "right")
        for _, r in bd.iterrows():
            bt.add_row(
                str(r["component"]),
                fmt_carbon(r["operational_kg"]),
                fmt_carbon(r["embodied_kg"]),
                fmt_carbon(r["total_kg"]),
            )
        console.print(bt)
    if len(res.tables["replicas"]):
        console.print(df_table(res.tables["replicas"], "Replicas"))
    if len(res.tables["deployment"]):
        console.print(df_table(res.tables["deployment"][HOST_COLUMNS], "Hosts"))


@guarded
def validate(
    scenario_file: ScenarioArg, scenario: ScenarioOpt = None, override: OverrideOpt = None
) -> None:
    """Check a scenario (schema, catalog references, pre-solve checks) without solving."""
    loaded = load(scenario_file, scenario, override)  # first: needs neither pandas nor Pyomo
    from ecoserve_opt.checks import run_checks
    from ecoserve_opt.data import build_data

    data = build_data(loaded)
    for finding in run_checks(data, strict=True):
        err_console.print(str(finding), highlight=False, soft_wrap=True)
    console.print(
        f"[green]valid[/]: {esc(scenario_file)} ({len(data.llms)} LLMs, "
        f"{len(data.gpus)} GPU types, "
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
    out: Annotated[
        Path | None,
        typer.Option(help="Results folder (default results/<scenario>, see README)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    time_limit: Annotated[float | None, typer.Option(help="Seconds.")] = None,
    gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
    threads: Annotated[int | None, typer.Option()] = None,
    save_lp: Annotated[Path | None, typer.Option(help="Write the LP file here.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
    solver_log: Annotated[
        bool, typer.Option("--solver-log", help="Stream HiGHS's progress log to stderr.")
    ] = False,
    validate_replay: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="After the solve, replay one hour of traffic against the fleet "
            "('ecoserve simulate' defaults) and write slo.csv into the results folder.",
        ),
    ] = False,
) -> None:
    """Solve a scenario and print the chosen fleet and its carbon.

    Results (tables, meta.json, the resolved scenario) go to results/<scenario> unless
    --out says otherwise. On a terminal a status line shows the phase, the elapsed time
    and, while solving, HiGHS's current gap."""
    from ecoserve_opt.cli.status import PhaseStatus

    if objective is not None and objective not in ("carbon", "energy", "cost", "performance"):
        raise fail(
            f"--objective: unknown objective {objective!r} (carbon, energy, cost, performance)"
        )
    if fmt not in ("csv", "parquet"):
        raise fail(f"--format: {fmt!r} is not csv or parquet")
    check_solver_options(time_limit, gap, threads)
    live = err_console.is_terminal and not solver_log and not json_out
    with PhaseStatus(err_console, live) as status:
        status.phase("loading the scenario")
        # the scenario first: it needs neither pandas nor Pyomo, so a bad file, option or
        # override fails in a fraction of the imports a solve needs
        loaded = load(scenario_file, scenario, override)
        # output paths are checked before the (possibly long) build and solve; the default
        # folder (named after the scenario) is checked too
        from ecoserve_opt.results import check_results_dir

        check_results_dir(out or results_folder(loaded.scenario.name, *groups(loaded)), "--out")
        if save_lp is not None:
            from ecoserve_opt.io.outputs import check_output_file

            check_output_file(save_lp, "--save-lp")
        status.phase("building the model")
        from ecoserve_opt.api import build
        from ecoserve_opt.solve import Status

        if solver_log:
            enable_solver_log()
        watch = status.watch_solver()
        built = build(
            loaded,
            objective=objective,
            time_limit=time_limit,
            mip_rel_gap=gap,
            threads=threads,
            save_lp=save_lp,
            tee=solver_log or watch,
        )
        status.phase("solving")
        res = built.solve()
    target = None
    if res.status.has_solution:  # written first: a closed pipe cannot lose the results
        target = out or results_folder(loaded.scenario.name, *groups(loaded))
        res.to_dir(target, fmt=fmt)
    if json_out:
        sys.stdout.write(
            json.dumps({"status": res.status.value, **res.metrics.to_dict()}, default=float) + "\n"
        )
    else:
        print_results(res)
        if target is not None:
            console.print(f"results written to {esc(target)}", highlight=False)
    if validate_replay and target is not None:
        from ecoserve_opt.cli.simulate import run_replay

        run_replay(target)
    if res.status == Status.INFEASIBLE:
        from ecoserve_opt.diagnostics import diagnose_infeasible

        report = diagnose_infeasible(loaded)
        err_console.print(clean(report.text()), markup=False, highlight=False)
        raise typer.Exit(EXIT_INFEASIBLE)
    if "error" in res.meta:
        raise fail(str(res.meta["error"]), EXIT_NO_SOLUTION)
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

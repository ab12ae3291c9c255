"""``ecoserve sweep``, ``pareto`` and ``plot``: studies over many solves, and their figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecoserve_opt.cli._common import (
    GapOpt,
    NoProgressOpt,
    OverrideOpt,
    RetryFailedOpt,
    ScenarioArg,
    ScenarioOpt,
    SchedulerOpt,
    ThreadsOpt,
    TimeOpt,
    WorkersOpt,
    console,
    groups,
    guarded,
    load,
    results_folder,
    summary_table,
    use_dask,
)
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.vocabulary import METRICS


@guarded
def sweep_cmd(
    scenario_file: ScenarioArg,
    param: Annotated[
        list[str],
        typer.Option(
            "--param",
            "-p",
            help="Parameter to sweep (repeatable: a grid). grid_intensity, pue, "
            "prices.electricity, demand_scale, embodied_scale change Params (no rebuild); "
            "any other scenario dot-path re-loads and rebuilds per value.",
        ),
    ],
    values: Annotated[
        list[str],
        typer.Option(
            "--values",
            "-v",
            help="Values for the matching --param: start:stop:step (inclusive) or a,b,c. "
            "A bare grid_intensity is gCO2e/kWh (as in scenario YAML and --override); unit "
            "strings such as '0.3 kgCO2e/kWh' are also accepted.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default results/<name>-sweep-<params>)."),
    ] = None,
    scenario: ScenarioOpt = None,
    override: OverrideOpt = None,
    objective: Annotated[
        str | None,
        typer.Option(help="carbon | energy | cost | performance | gpu_hours"),
    ] = None,
    fix_fleet: Annotated[
        bool,
        typer.Option(
            "--fix-fleet",
            help="Fix the fleet optimal for the scenario's own values; re-optimise only "
            "the operation at each point.",
        ),
    ] = False,
    workers: WorkersOpt = 0,
    scheduler: SchedulerOpt = None,
    chunk_size: Annotated[
        int | None, typer.Option(help="Points per dask task (default: automatic).")
    ] = None,
    retry_failed: RetryFailedOpt = False,
    gap: GapOpt = None,
    time_limit: TimeOpt = None,
    threads: ThreadsOpt = None,
    no_progress: NoProgressOpt = False,
) -> None:
    """Solve a scenario over a grid of parameter values (resumable; parallel on Dask)."""
    from ecoserve_opt.studies import canonical_param, is_fast, sweep

    if len(param) != len(values):
        raise EcoserveError(
            f"give one --values per --param ({len(param)} --param, {len(values)} --values)"
        )
    dask = use_dask(workers, scheduler)
    loaded = load(scenario_file, scenario, override)
    grid = dict(zip(param, values, strict=True))
    names = [canonical_param(p) for p in param]
    folder = out or results_folder(loaded.scenario.name, *groups(loaded), "sweep", *names)
    kinds = [
        f"{canonical_param(p)} ({'Param update' if is_fast(canonical_param(p)) else 'rebuild'})"
        for p in param
    ]
    where = (
        f"dask cluster {scheduler}"
        if scheduler
        else (f"local dask cluster, {workers} workers" if dask else "serial")
    )
    console.print(f"sweep of {', '.join(kinds)} -> {folder} ({where})", highlight=False)
    res = sweep(
        loaded,
        grid,
        folder,
        objective=objective,
        fix_fleet=fix_fleet,
        scheduler=scheduler,
        workers=workers,
        chunk_size=chunk_size,
        retry_failed=retry_failed,
        progress=not no_progress,
        console=console,
        mip_rel_gap=gap,
        time_limit=time_limit,
        threads=threads,
    )
    df = res.sweep()
    cols = [
        *res.params,
        "status",
        "gap",
        "carbon_kg",
        "operational_kg",
        "embodied_kg",
        "cost_usd",
        "design",
    ]
    console.print(summary_table(df, cols, f"{len(df)} points"))
    bad = res.infeasible()
    if len(bad):
        console.print(
            f"[yellow]{len(bad)} point(s) without a solution "
            f"({', '.join(sorted(set(bad['status'])))})[/]"
        )
    console.print(f"results in {folder}  (ecoserve plot {folder} --kind sensitivity)")


@guarded
def pareto_cmd(
    scenario_file: ScenarioArg,
    x: Annotated[str, typer.Option("--x", help=" | ".join(METRICS))] = "cost",
    y: Annotated[str, typer.Option("--y", help="Metric on the y axis.")] = "carbon",
    points: Annotated[int, typer.Option("--points", "-n", help="Epsilon caps.")] = 20,
    cap: Annotated[
        str, typer.Option("--cap", help="Which metric is capped: y (default) or x.")
    ] = "y",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default results/<name>-pareto-<y>-<x>)."),
    ] = None,
    scenario: ScenarioOpt = None,
    override: OverrideOpt = None,
    no_baselines: Annotated[
        bool, typer.Option("--no-baselines", help="Skip the baseline designs.")
    ] = False,
    no_refine: Annotated[
        bool, typer.Option("--no-refine", help="One solve per cap (may keep weak points).")
    ] = False,
    include_time_limited: Annotated[
        bool,
        typer.Option(
            "--include-time-limited",
            help="Let time-limited points (not proven optimal) on the front.",
        ),
    ] = False,
    workers: WorkersOpt = 0,
    scheduler: SchedulerOpt = None,
    retry_failed: RetryFailedOpt = False,
    gap: GapOpt = None,
    time_limit: TimeOpt = None,
    threads: ThreadsOpt = None,
    no_progress: NoProgressOpt = False,
) -> None:
    """Epsilon-constraint Pareto front (e.g. carbon vs cost) with baseline designs."""
    from ecoserve_opt.studies import pareto
    from ecoserve_opt.vocabulary import metric_column, metric_name

    use_dask(workers, scheduler)
    loaded = load(scenario_file, scenario, override)
    xm, ym = metric_name(x), metric_name(y)
    folder = out or results_folder(loaded.scenario.name, *groups(loaded), "pareto", ym, xm)
    res = pareto(
        loaded,
        folder,
        x=xm,
        y=ym,
        points=points,
        cap=cap,
        refine=not no_refine,
        baselines=not no_baselines,
        scheduler=scheduler,
        workers=workers,
        retry_failed=retry_failed,
        progress=not no_progress,
        console=console,
        mip_rel_gap=gap,
        time_limit=time_limit,
        threads=threads,
    )
    front = res.pareto_front(xm, ym, include_time_limited=include_time_limited)
    cols = ["role", "cap_value", metric_column(xm), metric_column(ym), "gap", "design"]
    console.print(summary_table(front, cols, f"Pareto front: {len(front)} points"))
    limited = res.solved()
    limited = limited[limited["status"] == "feasible"]
    if len(limited):
        where = "on" if include_time_limited else "kept off"
        console.print(
            f"[yellow]{len(limited)} time-limited point(s) (not proven optimal), {where} the "
            "front (--include-time-limited to change)[/]"
        )
    base = res.baselines()
    if len(base):
        console.print(summary_table(base, ["role", *cols[2:]], "Baselines"))
    bad = res.infeasible()
    if len(bad):
        import pandas as pd

        caps = ", ".join(f"{v:,.6g}" for v in bad.get("cap_value", pd.Series()).dropna())
        console.print(f"[yellow]{len(bad)} cap(s) without a solution, skipped: {caps or '-'}[/]")
    console.print(f"results in {folder}  (ecoserve plot {folder} --kind pareto)")


@guarded
def plot_cmd(
    results_dir: Annotated[Path, typer.Argument(help="Results folder of sweep/pareto.")],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="pareto | sensitivity | breakdown")
    ] = "sensitivity",
    out: Annotated[Path | None, typer.Option("--out", help="Figure file (.png or .svg).")] = None,
    param: Annotated[
        str | None, typer.Option("--param", help="x-axis parameter (sensitivity).")
    ] = None,
    x: Annotated[str | None, typer.Option("--x", help="Pareto x metric.")] = None,
    y: Annotated[str | None, typer.Option("--y", help="Pareto y metric.")] = None,
) -> None:
    """Plot a sweep or Pareto results folder to PNG or SVG."""
    from ecoserve_opt.plot import plot_breakdown, plot_pareto, plot_sensitivity, save_figure
    from ecoserve_opt.studies.store import SweepResults

    res = SweepResults.load(results_dir)
    for line in res.warnings():
        typer.echo(f"warning: {line}", err=True)
    if kind == "pareto":
        fig = plot_pareto(res, x=x, y=y)
    elif kind == "sensitivity":
        fig = plot_sensitivity(res, param=param)
    elif kind == "breakdown":
        fig = plot_breakdown(res)
    else:
        raise EcoserveError(f"--kind {kind!r}: choose pareto, sensitivity or breakdown")
    target = out or results_dir / f"{kind}.png"
    save_figure(fig, target)
    console.print(f"wrote {target}")

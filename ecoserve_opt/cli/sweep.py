"""``ecoserve sweep``, ``pareto`` and ``plot``: studies over many solves, and their figures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

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
    check_solver_options,
    clean,
    console,
    esc,
    groups,
    guarded,
    load,
    results_folder,
    summary_table,
    use_dask,
)
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.outputs import check_output_dir, check_output_file, owned_by
from ecoserve_opt.vocabulary import METRICS

#: What a sweep/Pareto folder may hold: the store, and the figures/report made from it.
_STORE_OWNED = owned_by(
    ["sweep.json", "sweep.json.corrupt", "points", "report.html"], [".png", ".svg", ".pdf"]
)


def check_store_dir(folder: Path) -> None:
    """A sweep/Pareto ``--out`` folder: new, empty or a previous store (checked first)."""
    check_output_dir(folder, "--out", owned=_STORE_OWNED)


def _check_parallel_options(workers: int, chunk_size: int | None) -> None:
    if workers < 0:
        raise EcoserveError(f"--workers: must be >= 0 (got {workers}; 0 = serial)")
    if chunk_size is not None and chunk_size < 1:
        raise EcoserveError(f"--chunk-size: must be >= 1 (got {chunk_size})")


def print_not_optimal(df: pd.DataFrame, params: list[str]) -> None:
    """One ``NOT OPTIMAL`` line per time-limited point, as ``solve`` prints for one solve."""
    if df.empty or "status" not in df.columns:
        return
    for _, r in df[df["status"] == "feasible"].iterrows():
        where = ", ".join(
            f"{p}={r[p]:g}" if isinstance(r[p], float) else f"{p}={r[p]}"
            for p in params
            if p in r.index
        )
        gap, bound = r.get("gap", float("nan")), r.get("bound", float("nan"))
        console.print(
            clean(
                f"NOT OPTIMAL: {where or r['point_id']}: stopped by a limit with gap "
                f"{gap:.2%} (bound {bound:.6g}); the design shown is the best found"
            ),
            style="yellow",
            markup=False,
            highlight=False,
        )


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
    cold: Annotated[
        bool,
        typer.Option(
            "--cold",
            help="Solve every point from scratch instead of warm-starting it from the "
            "previous point (slower; avoids design drift: a warm start keeps the previous "
            "fleet while it is within the gap).",
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
    check_solver_options(time_limit, gap, threads)
    _check_parallel_options(workers, chunk_size)
    if out is not None:
        check_store_dir(out)
    dask = use_dask(workers, scheduler)
    loaded = load(scenario_file, scenario, override)
    grid = dict(zip(param, values, strict=True))
    names = [canonical_param(p) for p in param]
    folder = out or results_folder(loaded.scenario.name, *groups(loaded), "sweep", *names)
    check_store_dir(folder)
    kinds = [
        f"{canonical_param(p)} ({'Param update' if is_fast(canonical_param(p)) else 'rebuild'})"
        for p in param
    ]
    where = (
        f"dask cluster {scheduler}"
        if scheduler
        else (f"local dask cluster, {workers} workers" if dask else "serial")
    )
    console.print(
        clean(f"sweep of {', '.join(kinds)} -> {folder} ({where})"), markup=False, highlight=False
    )
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
        warm_start=not cold,
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
    print_not_optimal(df, res.params)
    bad = res.infeasible()
    if len(bad):
        console.print(
            f"[yellow]{len(bad)} point(s) without a solution "
            f"({', '.join(sorted(set(bad['status'])))})[/]"
        )
    console.print(
        clean(f"results in {folder}  (ecoserve plot {folder} --kind sensitivity)"),
        markup=False,
        highlight=False,
    )


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

    check_solver_options(time_limit, gap, threads)
    _check_parallel_options(workers, None)
    if points < 1:
        raise EcoserveError(f"--points: must be >= 1 (got {points})")
    if out is not None:
        check_store_dir(out)
    use_dask(workers, scheduler)
    loaded = load(scenario_file, scenario, override)
    xm, ym = metric_name(x), metric_name(y)
    folder = out or results_folder(loaded.scenario.name, *groups(loaded), "pareto", ym, xm)
    check_store_dir(folder)
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
    print_not_optimal(res.table, ["role", "cap_value"])
    base = res.baselines()
    if len(base):
        console.print(summary_table(base, ["role", *cols[2:]], "Baselines"))
    bad = res.infeasible()
    if len(bad):
        import pandas as pd

        caps = ", ".join(f"{v:,.6g}" for v in bad.get("cap_value", pd.Series()).dropna())
        console.print(f"[yellow]{len(bad)} cap(s) without a solution, skipped: {caps or '-'}[/]")
    console.print(
        clean(f"results in {folder}  (ecoserve plot {folder} --kind pareto)"),
        markup=False,
        highlight=False,
    )


@guarded
def plot_cmd(
    results_dir: Annotated[Path, typer.Argument(help="Results folder of sweep/pareto.")],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="pareto | sensitivity | breakdown | lifetime")
    ] = "sensitivity",
    out: Annotated[Path | None, typer.Option("--out", help="Figure file (.png or .svg).")] = None,
    param: Annotated[
        str | None, typer.Option("--param", help="x-axis parameter (sensitivity, lifetime).")
    ] = None,
    x: Annotated[str | None, typer.Option("--x", help="Pareto x metric.")] = None,
    y: Annotated[str | None, typer.Option("--y", help="Pareto y metric.")] = None,
    include_time_limited: Annotated[
        bool,
        typer.Option(
            "--include-time-limited",
            help="Pareto: let time-limited points (not proven optimal) on the front.",
        ),
    ] = False,
) -> None:
    """Plot a sweep or Pareto results folder to PNG or SVG."""
    from ecoserve_opt.plot import plot_breakdown, plot_pareto, plot_sensitivity, save_figure
    from ecoserve_opt.studies.store import SweepResults

    kinds = ("pareto", "sensitivity", "breakdown", "lifetime")
    if kind not in kinds:
        raise EcoserveError(f"--kind {kind!r}: choose {', '.join(kinds[:-1])} or {kinds[-1]}")
    target = out or results_dir / f"{kind}.png"
    check_output_file(target, "--out")
    res = SweepResults.load(results_dir)
    for line in res.warnings():
        typer.echo(f"warning: {line}", err=True)
    if kind == "pareto":
        fig = plot_pareto(res, x=x, y=y, include_time_limited=include_time_limited)
    elif kind == "sensitivity":
        fig = plot_sensitivity(res, param=param)
    elif kind == "breakdown":
        fig = plot_breakdown(res)
    else:
        from ecoserve_opt.plot.lifetime import plot_lifetime

        fig = plot_lifetime(res, param=param)
    save_figure(fig, target)
    console.print(f"wrote {esc(target)}")

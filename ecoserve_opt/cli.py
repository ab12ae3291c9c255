"""Command-line interface (``ecoserve``), built with Typer.

Errors in the scenario or catalog print one line naming the file, the field path and the
reason, and exit with status 2 (``--debug`` shows the traceback). An infeasible scenario
exits with 3 after printing the diagnosis; a solve stopped by a limit without any solution
exits with 4. A time-limited solve *with* a solution exits 0 but says plainly that it is
not optimal, with its gap.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ecoserve_opt.exceptions import EcoserveError, InfeasibleError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="ecoserve-opt: carbon-aware LLM inference fleet design (EcoServe 4R as a MILP).",
)
# Wide tables when piped or captured (CI logs); the terminal's width otherwise.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
_STATE = {"debug": False}

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4

F = TypeVar("F", bound=Callable[..., Any])

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.")]
ScenarioOpt = Annotated[
    str | None,
    typer.Option("--scenario", "-s", help="Comma-separated override groups, e.g. 'a,b'."),
]
OverrideOpt = Annotated[
    list[str] | None,
    typer.Option("--override", "-o", help="dot.path=value (repeatable), e.g. grid.pue=1.3"),
]


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
) -> None:
    _STATE["debug"] = debug
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``error: message`` to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def guarded(fn: F) -> F:
    """Turn EcoserveErrors into one-line messages and exit codes (unless --debug)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except InfeasibleError as exc:
            if _STATE["debug"]:
                raise
            raise fail(str(exc), EXIT_INFEASIBLE) from None
        except EcoserveError as exc:
            if _STATE["debug"]:
                raise
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


def enable_solver_log() -> None:
    """Send the ``ecoserve_opt.highs`` logger (HiGHS's own log lines) to stderr."""
    lg = logging.getLogger("ecoserve_opt.highs")
    if not lg.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        lg.addHandler(handler)
    lg.setLevel(logging.INFO)
    lg.propagate = False


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": 1, "c": "x"}`` (values parsed as YAML)."""
    from ecoserve_opt.io.yaml_loader import parse_override_value

    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise EcoserveError(f"--override {item!r}: expected dot.path=value")
        key, val = item.split("=", 1)
        out[key.strip()] = parse_override_value(val)
    return out


def load(path: Path, scenario: str | None, override: list[str] | None) -> Any:
    """Load and validate a scenario with CLI overrides."""
    from ecoserve_opt.io.yaml_loader import load_scenario

    return load_scenario(path, scenario=scenario, overrides=parse_overrides(override))


def df_table(df: Any, title: str, floatfmt: str = "{:,.4g}", max_rows: int = 40) -> Table:
    """A rich Table from a DataFrame."""
    t = Table(title=title, title_justify="left", show_lines=False)
    for c in df.columns:
        t.add_column(str(c), justify="right" if df[c].dtype.kind in "iuf" else "left")
    for _, row in df.head(max_rows).iterrows():
        t.add_row(*[floatfmt.format(v) if isinstance(v, float) else str(v) for v in row])
    if len(df) > max_rows:
        t.caption = f"({len(df) - max_rows} more rows)"
    return t


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
    for key, label, unit in [
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
    ]:
        if key in m:
            mt.add_row(label, f"{m[key]:,.4g}", unit)
    console.print(mt)
    console.print(df_table(res.tables["breakdown"], "Carbon by component (kgCO2e)"))
    if len(res.tables["replicas"]):
        console.print(df_table(res.tables["replicas"], "Replicas"))
    if len(res.tables["deployment"]):
        dep = res.tables["deployment"][
            [
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
        ]
        console.print(df_table(dep, "Hosts"))


@app.command()
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


@app.command("solve")
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


@app.command()
def schema() -> None:
    """Print the scenario JSON schema (for editor completion)."""
    from ecoserve_opt.schema.scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")


@app.command("check-solver")
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


@app.command()
@guarded
def catalog(
    kind: Annotated[str, typer.Argument(help="gpus | hosts | llms | embodied | all")] = "all",
    path: Annotated[Path | None, typer.Option("--catalog", help="Catalog folder.")] = None,
    source: Annotated[str, typer.Option(help="Embodied source: act|greensku|boavizta")] = "act",
) -> None:
    """List the catalog's GPUs, hosts and LLMs with key figures and sources."""
    from ecoserve_opt.catalog import load_catalog
    from ecoserve_opt.catalog.summary import catalog_tables

    cat = load_catalog(path)
    tables = catalog_tables(cat, source)
    if kind != "all" and kind not in tables:
        raise fail(f"unknown catalog table {kind!r} ({', '.join(tables)})")
    for name, df in tables.items():
        if kind in ("all", name):
            console.print(df_table(df, f"{name} ({cat.path.name})", max_rows=200))


def _register_optional() -> None:
    """Attach commands that live in their own modules."""
    import importlib

    for mod in (
        "ecoserve_opt.compare",
        "ecoserve_opt.diagnostics",
        "ecoserve_opt.sweep",
        "ecoserve_opt.report",
    ):
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name == mod:
                continue
            raise
        register = getattr(module, "register_cli", None)
        if register is not None:
            register(app, guarded, load, console, print_results)


_register_optional()


if __name__ == "__main__":  # pragma: no cover
    app()

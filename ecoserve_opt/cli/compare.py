"""``ecoserve compare``: the baseline families, pillar effects and EcoServe side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ecoserve_opt.cli._common import (
    OverrideOpt,
    ScenarioArg,
    ScenarioOpt,
    TimeOpt,
    check_solver_options,
    console,
    err_console,
    fail,
    guarded,
    load,
)

#: Columns of the comparison table shown, with their display headers.
COLUMNS = {
    "design": "design",
    "status": "status",
    "operational_kg": "operational",
    "embodied_kg": "embodied",
    "obsolescence_kg": "obsolescence",
    "carbon_kg": "total",
    "cost_usd": "cost",
    "energy_kwh": "energy",
    "latency_ms_per_token": "ms/token",
    "gpus": "GPUs",
    "offline_share_host_cpu": "offl. CPU",
    "ecoserve_reduction": "EcoServe saves",
}


#: Numeric columns shown in one unit per column: (column, header, ladder of (factor, unit)).
_SCALED = (
    ("operational_kg", "operational", ((1.0, "kgCO2e"), (1e3, "tCO2e"), (1e6, "ktCO2e"))),
    ("embodied_kg", "embodied", ((1.0, "kgCO2e"), (1e3, "tCO2e"), (1e6, "ktCO2e"))),
    # Recycle's steady-state obsolescence charge (part of the total): shown when non-zero.
    ("obsolescence_kg", "obsol.", ((1.0, "kgCO2e"), (1e3, "tCO2e"), (1e6, "ktCO2e"))),
    ("carbon_kg", "total", ((1.0, "kgCO2e"), (1e3, "tCO2e"), (1e6, "ktCO2e"))),
    ("cost_usd", "cost", ((1.0, "USD"), (1e3, "k USD"), (1e6, "M USD"))),
    ("energy_kwh", "energy", ((1.0, "kWh"), (1e3, "MWh"), (1e6, "GWh"))),
)
_OFFLINE = ("offline_host_cpu", "offline_gpu", "offline_owned")  # all three, when present


def _num(v: Any, factor: float) -> str:
    """``v / factor`` with 3 significant digits or so (``-`` when not a number)."""
    import math

    try:
        x = float(v) / factor
    except (TypeError, ValueError):
        return "-"
    if math.isnan(x):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def _text_cell(v: Any) -> str:
    """A text column's cell (``-`` for a missing value)."""
    from rich.markup import escape

    return escape(v) if isinstance(v, str) else "-"


def _pool_cell(r: Any, num: Any) -> str:
    """``prefill/decode`` GPUs of a phase-split design, ``-`` for the others."""
    v = r.get("prefill_gpus")
    if v is None or v != v:  # missing or NaN
        return "-"
    return "/".join(num(r.get(c), 1.0) for c in ("prefill_gpus", "decode_gpus"))


def compare_table(table: Any, title: str = "Design points (over the horizon)") -> Any:
    """The comparison as a rich Table that fits a 100-column terminal: each numeric column
    in one readable unit (named in its header, e.g. ``total (tCO2e)``), where offline work
    ran as CPU/GPU/owned percentages, EcoServe's saving, long names wrapped instead of the
    numbers. A time-limited point's total is marked ``*``; a point without a solution
    shows its status."""
    import math

    from rich import box
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    t.add_column("design point", overflow="fold", min_width=14, max_width=32)
    cols: list[tuple[str, float]] = []
    for col, head, ladder in _SCALED:
        if col not in table.columns:
            continue
        vals = [abs(float(v)) for v in table[col] if v == v]
        biggest = max(vals, default=0.0)
        if col == "obsolescence_kg" and biggest == 0.0:
            continue
        factor, unit = ladder[0]
        for f, u in ladder:
            if biggest >= 10 * f:
                factor, unit = f, u
        cols.append((col, factor))
        t.add_column(f"{head}\n({unit})", justify="right", no_wrap=True)
    offline = all(c in table.columns for c in _OFFLINE)
    if offline:
        t.add_column("offline on\nCPU/GPU/own", justify="right", no_wrap=True)
    pools = "prefill_gpus" in table.columns  # pillars.split_phases: GPUs per phase pool
    if pools:
        t.add_column("GPUs in\nprefill/decode", justify="right", no_wrap=True)
    precision = "precision" in table.columns  # LLM precisions beyond bf16 allowed
    if precision:
        t.add_column("precision\n(GPUs)", no_wrap=True)
    saves = "ecoserve_reduction" in table.columns
    if saves:
        t.add_column("EcoServe\nsaves", justify="right", no_wrap=True)

    num = _num

    def pct(v: Any) -> str:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return "-"
        return "-" if math.isnan(x) else f"{x * 100:.0f}"

    limited = False
    for _, r in table.iterrows():
        status = str(r.get("status", "optimal"))
        cells = [num(r[c], f) for c, f in cols]
        if status not in ("optimal", "feasible"):
            cells = [escape(status)] + ["-"] * (len(cells) - 1)
        elif status == "feasible":
            limited = True
            cells = [
                c + ("*" if col == "carbon_kg" else "")
                for c, (col, _f) in zip(cells, cols, strict=True)
            ]
        if offline:
            cells.append("/".join(pct(r[c]) for c in _OFFLINE) + "%")
        if pools:
            cells.append(_pool_cell(r, num))
        if precision:
            cells.append(_text_cell(r.get("precision")))
        if saves:
            cells.append(
                pct(r["ecoserve_reduction"]) + "%" if pct(r["ecoserve_reduction"]) != "-" else "-"
            )
        t.add_row(escape(str(r.get("design", r.get("design_point", "")))), *cells)
    if limited:
        t.caption = "* stopped by a time limit: the best design found, not proven optimal"
    return t


@guarded
def compare_cmd(
    scenario_file: ScenarioArg,
    scenario: ScenarioOpt = None,
    override: OverrideOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for compare.csv and pillar_effects.csv.")
    ] = None,
    no_ablation: Annotated[
        bool,
        typer.Option("--no-ablation", help="Both baseline families only (no pillar effects)."),
    ] = False,
    latency_tolerance: Annotated[
        float | None,
        typer.Option(
            help="Performance designs: the cheapest within this fraction of the minimum "
            "latency (default: the scenario's latency_tolerance, 0.10)."
        ),
    ] = None,
    time_limit: TimeOpt = None,
    csv_out: Annotated[
        bool, typer.Option("--csv", help="Print the full table as CSV (canonical units).")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the full table as JSON records.")
    ] = False,
) -> None:
    """Conventional and same-design-space baselines, pillar effects and EcoServe.

    On a terminal each family's table fits 100 columns (one readable unit per column);
    --csv and --json print every column in canonical units (kgCO2e, USD, kWh)."""
    from ecoserve_opt.compare import FAMILIES, compare, summary_lines, write_compare

    check_solver_options(time_limit)
    if out is not None:  # a folder for two CSV files, checked before the solves
        from ecoserve_opt.io.outputs import check_output_dir, owned_by

        check_output_dir(
            out, "--out", owned=owned_by(["compare.csv", "pillar_effects.csv", "breakeven.csv"])
        )
    loaded = load(scenario_file, scenario, override)

    if csv_out and json_out:
        raise fail("--csv and --json: choose one")
    machine = csv_out or json_out

    def progress(i: int, n: int, name: str) -> None:
        (err_console if machine else console).print(
            f"[dim]({i + 1}/{n}) solving {escape(name)}...[/]", highlight=False
        )

    table = compare(
        loaded,
        ablation=not no_ablation,
        progress=progress,
        latency_tolerance=latency_tolerance,
        time_limit=time_limit,
    )
    if machine:
        import sys

        if out is not None:
            write_compare(table, out)
        if csv_out:
            sys.stdout.write(table.to_csv(index=False))
        else:
            sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
        return
    for fam in FAMILIES:
        part = table[table["family"] == fam]
        if part.empty:
            continue
        console.print(compare_table(part, f"{fam} (over the horizon)"))
    for line in summary_lines(table):
        console.print(line, highlight=False, markup=False)
    if out is not None:
        path = write_compare(table, out)
        console.print(f"compare.csv, pillar_effects.csv and breakeven.csv written to {path.parent}")

"""``ecoserve compare``: the baseline families, pillar effects and EcoServe side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecoserve_opt.cli._common import (
    OverrideOpt,
    ScenarioArg,
    ScenarioOpt,
    TimeOpt,
    console,
    df_table,
    guarded,
    load,
)

#: Columns of the comparison table shown, with their display headers.
COLUMNS = {
    "design": "design",
    "status": "status",
    "operational_kg": "operational",
    "embodied_kg": "embodied",
    "carbon_kg": "total",
    "cost_usd": "cost",
    "energy_kwh": "energy",
    "latency_ms_per_token": "ms/token",
    "gpus": "GPUs",
    "offline_share_host_cpu": "offl. CPU",
    "ecoserve_reduction": "EcoServe saves",
}


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
) -> None:
    """Conventional and same-design-space baselines, pillar effects and EcoServe."""
    from ecoserve_opt.compare import FAMILIES, compare, summary_lines, write_compare

    loaded = load(scenario_file, scenario, override)

    def progress(i: int, n: int, name: str) -> None:
        console.print(f"[dim]({i + 1}/{n}) solving {name}...[/]", highlight=False)

    table = compare(
        loaded,
        ablation=not no_ablation,
        progress=progress,
        latency_tolerance=latency_tolerance,
        time_limit=time_limit,
    )
    for fam in FAMILIES:
        part = table[table["family"] == fam]
        if part.empty:
            continue
        part = part.assign(latency_ms_per_token=part["latency_s_per_token"] * 1000.0)
        show = part[[c for c in COLUMNS if c in part.columns]].rename(columns=COLUMNS)
        console.print(df_table(show, f"{fam} (kgCO2e, USD, kWh over the horizon)"))
    for line in summary_lines(table):
        console.print(line, highlight=False, markup=False)
    if out is not None:
        path = write_compare(table, out)
        console.print(f"compare.csv and pillar_effects.csv written to {path.parent}")

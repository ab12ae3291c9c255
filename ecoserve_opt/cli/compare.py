"""``ecoserve compare``: the design points of the paper side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ecoserve_opt.cli._common import (
    OverrideOpt,
    ScenarioArg,
    ScenarioOpt,
    console,
    df_table,
    guarded,
    load,
)

#: Columns of the comparison table shown, with their display headers.
COLUMNS = {
    "design_point": "design point",
    "status": "status",
    "operational_kg": "operational",
    "embodied_kg": "embodied",
    "carbon_kg": "total",
    "cost_usd": "cost",
    "energy_kwh": "energy",
    "offline_host_cpu": "offl. CPU",
    "offline_gpu": "offl. GPU",
    "offline_owned": "offl. owned",
    "ecoserve_reduction": "EcoServe saves",
}


@guarded
def compare_cmd(
    scenario_file: ScenarioArg,
    scenario: ScenarioOpt = None,
    override: OverrideOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write the table as CSV here.")] = None,
    no_ablation: Annotated[
        bool, typer.Option("--no-ablation", help="Baselines and EcoServe only.")
    ] = False,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per solve.")] = None,
) -> None:
    """Solve under every objective and pillar combination; print the comparison table."""
    from ecoserve_opt.compare import compare, cpu_reuse_saving, within_gap
    from ecoserve_opt.io.atomic import atomic_write_text

    loaded = load(scenario_file, scenario, override)

    def progress(i: int, n: int, name: str) -> None:
        console.print(f"[dim]({i + 1}/{n}) solving {name}...[/]", highlight=False)

    table = compare(loaded, ablation=not no_ablation, progress=progress, time_limit=time_limit)
    show = table[[c for c in COLUMNS if c in table.columns]].rename(columns=COLUMNS)
    console.print(df_table(show, "Design points (kgCO2e, USD, kWh over the horizon)"))
    saving = cpu_reuse_saving(table)
    if saving is not None:
        note = (
            " (within the MIP gap: not a significant difference)"
            if within_gap(table, "EcoServe", "EcoServe without host-CPU reuse")
            else ""
        )
        console.print(f"host-CPU reuse saves {saving:,.0f} kgCO2e over the horizon{note}")
    if "ecoserve_reduction" in table:
        for _, r in table[table["group"] == "baseline"].iterrows():
            if pd.notna(r.get("ecoserve_reduction")):
                note = (
                    " (within the MIP gap)"
                    if within_gap(table, "EcoServe", r["design_point"])
                    else ""
                )
                console.print(
                    f"EcoServe vs {r['design_point']}: {r['ecoserve_reduction']:.1%} lower "
                    f"carbon{note}"
                )
    if out is not None:
        atomic_write_text(out, table.to_csv(index=False))
        console.print(f"table written to {out}")

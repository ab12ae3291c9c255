"""Design-point comparison: EcoServe against performance-, energy- and cost-optimised designs.

``compare(loaded)`` solves one scenario as

* **baselines** -- objective ``performance``, ``energy``, ``cost`` and ``carbon`` with the
  4R pillars off except Rightsize (a cost or energy optimiser still chooses GPU type and
  count for its metric; what it lacks is Reduce, Reuse, Recycle and carbon-aware placement);
* **ablation** -- the carbon objective with one pillar at a time switched on;
* **EcoServe** -- the carbon objective with every pillar the scenario enables, and the same
  without host-CPU reuse (to show what offline inference on idle host CPUs saves);

and returns one row per design point: operational, embodied and total carbon, cost,
energy, where offline work ran (host CPUs, GPUs, owned hardware), and the reduction of
EcoServe's carbon against each row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ecoserve_opt.api import solve
from ecoserve_opt.exceptions import InfeasibleError
from ecoserve_opt.io.yaml_loader import LoadedScenario, validate_dict

PILLARS = ("reduce", "reuse", "reuse_host_cpus", "rightsize", "recycle", "shift_offline")
BASELINE_PILLARS = {p: p == "rightsize" for p in PILLARS}


@dataclass(frozen=True)
class DesignPoint:
    """A named (objective, pillars) combination."""

    name: str
    objective: str
    pillars: dict[str, bool]
    group: str


def design_points(loaded: LoadedScenario, ablation: bool = True) -> list[DesignPoint]:
    """The design points compared for this scenario."""
    enabled = loaded.scenario.pillars.model_dump()
    pts = [
        DesignPoint(f"{obj}-optimised", obj, dict(BASELINE_PILLARS), "baseline")
        for obj in ("performance", "energy", "cost", "carbon")
    ]
    if ablation:
        none = {p: False for p in PILLARS}
        pts.append(DesignPoint("carbon, no pillars", "carbon", none, "ablation"))
        for p in PILLARS:
            if enabled[p]:
                pts.append(DesignPoint(f"carbon + {p}", "carbon", {**none, p: True}, "ablation"))
    if enabled["reuse_host_cpus"]:
        pts.append(
            DesignPoint(
                "EcoServe without host-CPU reuse",
                "carbon",
                {**enabled, "reuse_host_cpus": False},
                "ecoserve",
            )
        )
    pts.append(DesignPoint("EcoServe", "carbon", enabled, "ecoserve"))
    return pts


def _with_pillars(loaded: LoadedScenario, pillars: dict[str, bool]) -> LoadedScenario:
    raw = dict(loaded.raw)
    raw["pillars"] = pillars
    out = validate_dict(raw, file=str(loaded.path or "<scenario>"), path=loaded.path)
    return LoadedScenario(out.scenario, loaded.path, raw, loaded.applied)


def _offline_split(offline: pd.DataFrame) -> dict[str, float]:
    if offline is None or offline.empty:
        return {"offline_host_cpu": 0.0, "offline_gpu": 0.0, "offline_owned": 0.0}
    tot = float(offline["tokens_per_day"].sum())
    cpu = float(offline.loc[offline["where"].str.startswith("cpu:"), "tokens_per_day"].sum())
    owned = float((offline["tokens_per_day"] * offline["owned_share"]).sum())
    return {
        "offline_host_cpu": cpu / tot,
        "offline_gpu": (tot - cpu) / tot,
        "offline_owned": owned / tot,
    }


def compare(
    loaded: LoadedScenario,
    ablation: bool = True,
    progress: Any = None,
    **solver_options: Any,
) -> pd.DataFrame:
    """Solve every design point; one row each, plus EcoServe's reduction against each row."""
    rows: list[dict[str, Any]] = []
    pts = design_points(loaded, ablation=ablation)
    for i, dp in enumerate(pts):
        if progress is not None:
            progress(i, len(pts), dp.name)
        sc = _with_pillars(loaded, dp.pillars)
        try:
            res = solve(sc, objective=dp.objective, **solver_options)
            status = res.status.value
        except InfeasibleError as exc:
            rows.append(
                {
                    "design_point": dp.name,
                    "group": dp.group,
                    "objective": dp.objective,
                    "status": "infeasible",
                    "note": str(exc),
                }
            )
            continue
        m = res.metrics
        row = {
            "design_point": dp.name,
            "group": dp.group,
            "objective": dp.objective,
            "pillars": ",".join(p for p in PILLARS if dp.pillars[p]) or "-",
            "status": status,
            "operational_kg": m.get("operational_kg"),
            "embodied_kg": m.get("embodied_kg"),
            "carbon_kg": m.get("carbon_kg"),
            "cost_usd": m.get("cost_usd"),
            "energy_kwh": m.get("energy_kwh"),
            "latency_s_per_token": m.get("latency_s_per_token"),
            "gpus": m.get("gpus"),
            "hosts": m.get("hosts"),
            "gap": m.get("gap"),
        }
        if res.status.has_solution:
            row.update(_offline_split(res.tables["offline"]))
        rows.append(row)
    df = pd.DataFrame(rows)
    eco = df.loc[df["design_point"] == "EcoServe", "carbon_kg"]
    if len(eco) and pd.notna(eco.iloc[0]) and "carbon_kg" in df:
        e = float(eco.iloc[0])
        df["ecoserve_reduction"] = (df["carbon_kg"] - e) / df["carbon_kg"]
    return df


def within_gap(table: pd.DataFrame, a: str, b: str) -> bool:
    """True when design points ``a`` and ``b`` differ by less than their MIP gaps allow
    (the difference may be solver tolerance, not a real effect)."""
    rows = table.set_index("design_point")
    carbon = rows["carbon_kg"].astype(float).to_dict()
    ca, cb = float(carbon[a]), float(carbon[b])
    gaps = pd.to_numeric(rows.loc[[a, b], "gap"], errors="coerce").fillna(0.0)
    tol = float(gaps.max()) * max(abs(ca), abs(cb))
    return abs(ca - cb) <= tol + 1e-9 * max(abs(ca), abs(cb), 1.0)


def cpu_reuse_saving(table: pd.DataFrame) -> float | None:
    """kgCO2e saved by host-CPU reuse (EcoServe without it minus EcoServe), if both solved."""
    try:
        with_ = float(table.loc[table["design_point"] == "EcoServe", "carbon_kg"].iloc[0])
        without = float(
            table.loc[table["design_point"] == "EcoServe without host-CPU reuse", "carbon_kg"].iloc[
                0
            ]
        )
    except (IndexError, KeyError, ValueError):
        return None
    return without - with_

"""How much Reduce saves across the public range of host component data (issue 22).

:func:`reduce_sensitivity` solves a scenario twice per case, with Rightsize only and with
Rightsize + Reduce (carbon objective, every other pillar off), and reports Reduce's saving,
how it splits between operational and embodied carbon, and DRAM's share of the operational
carbon of the full-SKU design. The cases vary one thing at a time against the shipped
catalog:

* host component power at the low or high end of its public idle range (every component
  and factor of ``models/host_components.csv`` at ``idle_lo``/``idle_hi`` together);
* the embodied method for DRAM, SSDs and host bases (``host_embodied_method``);
* the GreenSKU nameplate figures the catalog used before issue 22 (DIMMs 23.68/11.85 W,
  SSDs 11.2/16.8 W, fans at nameplate, no PSU loss), to show what they changed.

``benchmarks/run_host_sensitivity.py`` writes the table for the paper scenario; notebook 02
calls the same function.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ecoserve_opt.api import solve
from ecoserve_opt.io.yaml_loader import LoadedScenario, validate_dict
from ecoserve_opt.paths import catalog_dir

PILLARS = ("reduce", "reuse", "reuse_host_cpus", "rightsize", "recycle", "shift_offline")
# GreenSKU's nameplate figures (embodied/greensku DRAM.yaml, SSD.yaml, SSD_reuse.yaml), the
# catalog's values before issue 22, kept to reproduce the earlier result.
GREENSKU_DIMM_W = {"ddr5": 23.68, "ddr4": 11.85}
GREENSKU_SSD_W = {2: 11.2, 4: 16.8}
GREENSKU_REUSED_SSD_W_PER_TB = 5.6


@dataclass(frozen=True)
class Case:
    """One point of the sensitivity table."""

    name: str
    power: str  # "central" | "low" | "high" | "greensku"
    method: str  # host_embodied_method


CASES: tuple[Case, ...] = (
    Case("central (catalog as shipped)", "central", "source"),
    Case("host power: low end of public ranges", "low", "source"),
    Case("host power: high end of public ranges", "high", "source"),
    Case("embodied: fab-only (ACT) DRAM/SSD/base", "central", "fab_only"),
    Case("embodied: whole-part LCA DRAM/SSD/base", "central", "whole_part"),
    Case("GreenSKU nameplate power (before issue 22)", "greensku", "source"),
)


def catalog_variant(src: Path, dst: Path, power: str) -> Path:
    """Copy the catalog ``src`` to ``dst`` with host power at ``power`` (see :data:`CASES`)."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("traces", "licenses"))
    if power == "central":
        return dst
    hosts = pd.read_csv(dst / "hosts.csv")
    comp = pd.read_csv(dst / "host_components.csv")
    idx: Any = comp.set_index(["component", "variant"])
    if power in ("low", "high"):
        col = "idle_lo" if power == "low" else "idle_hi"

        def at(component: str, variant: str) -> float:
            return float(idx.loc[(component, variant), col])

        def ratio(component: str, variant: str) -> float:
            return at(component, variant) / float(idx.loc[(component, variant), "idle"])

        hosts["dimm_w"] = [
            at("dimm", f"{t}-{'64gb' if t == 'ddr5' else '32gb'}") for t in hosts["dram_type"]
        ]
        hosts["ssd_w"] = [at("ssd", f"e1s-{int(tb)}tb") for tb in hosts["ssd_tb"]]
        hosts["nic_w"] = at("nic", "100g")
        hosts["board_w"] = at("board", "default")
        fan_ratio = [ratio("fan", "1u" if g == "none" else "2u") for g in hosts["gpu_form_factor"]]
        hosts["fan_idle_w"] = hosts["fan_idle_w"] * pd.Series(fan_ratio)
        hosts["cpu_idle_w"] = hosts["cpu_tdp_w"] * at("factor", "cpu_idle_frac")
        hosts["psu_loss_frac"] = at("factor", "psu_loss_frac")
        hosts["fan_w_per_w"] = at("factor", "fan_w_per_w")
        comp["idle"] = comp[col]
    elif power == "greensku":
        hosts["dimm_w"] = hosts["dram_type"].map(GREENSKU_DIMM_W)
        hosts["ssd_w"] = hosts["ssd_tb"].astype(int).map(GREENSKU_SSD_W)
        hosts["dimm_max_w"] = hosts["dimm_w"]  # nameplate all day: no load dependence
        hosts["ssd_max_w"] = hosts["ssd_w"]
        hosts["nic_w"] = float(idx.loc[("nic", "100g"), "max"])
        fan_max = [
            float(idx.loc[("fan", "1u" if g == "none" else "2u"), "max"])
            / float(idx.loc[("fan", "1u" if g == "none" else "2u"), "idle"])
            for g in hosts["gpu_form_factor"]
        ]
        hosts["fan_idle_w"] = hosts["fan_idle_w"] * pd.Series(fan_max)
        hosts["psu_loss_frac"] = 0.0
        hosts["fan_w_per_w"] = 0.0
        hosts["dram_w_per_gbs"] = 0.0
        ddr4 = (comp["component"] == "dimm") & (comp["variant"] == "ddr4-32gb")
        comp.loc[ddr4, "idle"] = GREENSKU_DIMM_W["ddr4"]
        comp.loc[comp["component"] == "cxl_controller", "idle"] = 0.0
        reused = (comp["component"] == "ssd") & (comp["variant"] == "reused-1tb")
        comp.loc[reused, "idle"] = GREENSKU_REUSED_SSD_W_PER_TB
    else:
        raise ValueError(f"unknown power level '{power}' (central, low, high, greensku)")
    hosts["base_w"] = hosts["board_w"] + hosts["nic_w"] + hosts["fan_idle_w"]
    comp["max"] = comp[["idle", "max"]].max(axis=1)
    hosts.to_csv(dst / "hosts.csv", index=False)
    comp.to_csv(dst / "host_components.csv", index=False)
    return dst


def _solve(loaded: LoadedScenario, catalog: Path, method: str, reduce: bool, **opts: Any) -> Any:
    raw = dict(loaded.raw)
    raw["catalog"] = str(catalog)
    raw["host_embodied_method"] = method
    raw["pillars"] = {p: p == "rightsize" or (reduce and p == "reduce") for p in PILLARS}
    sc = validate_dict(raw, file=str(loaded.path or "<scenario>"), path=loaded.path)
    return solve(sc, objective="carbon", **opts)


def _solve_once_more(
    loaded: LoadedScenario, catalog: Path, method: str, reduce: bool, **opts: Any
) -> Any:
    """Solve; a solve that ends with no solution at all (seen rarely on a heavily loaded
    machine, not reproducible) is run once more, and the status says so."""
    res = _solve(loaded, catalog, method, reduce, **opts)
    if res.status.value == "no_solution":
        res = _solve(loaded, catalog, method, reduce, **opts)
        res.meta["retried"] = True
    return res


def _status(res: Any) -> str:
    st = str(res.status.value)
    if st != "optimal":
        st += f" ({res.meta.get('termination', '?')})"
    return st + (" after a retry" if res.meta.get("retried") else "")


def reduce_sensitivity(
    loaded: LoadedScenario,
    cases: tuple[Case, ...] = CASES,
    progress: Callable[[int, int, str], None] | None = None,
    **solver_options: Any,
) -> pd.DataFrame:
    """One row per case: Reduce's saving on top of Rightsize and how it splits.

    Columns: ``case``, ``power``, ``host_embodied_method``, ``carbon_rightsize_kg``,
    ``carbon_reduce_kg``, ``saving_pct`` (Reduce's saving, % of the Rightsize-only carbon),
    ``saving_operational_pct`` / ``saving_embodied_pct`` (shares of the saving),
    ``dram_share_of_operational_pct`` (DRAM in the Rightsize-only design's operational
    carbon), ``status`` (both solves' solver status).
    """
    s = loaded.scenario
    src = catalog_dir() if s.catalog == "default" else (loaded.base_dir / s.catalog).resolve()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ecoserve-hostdata-") as tmp:
        made: dict[str, Path] = {}
        for i, case in enumerate(cases):
            if progress is not None:
                progress(i, len(cases), case.name)
            if case.power not in made:
                made[case.power] = catalog_variant(src, Path(tmp) / case.power, case.power)
            cat = made[case.power]
            base = _solve_once_more(loaded, cat, case.method, False, **solver_options)
            red = _solve_once_more(loaded, cat, case.method, True, **solver_options)
            b, r = base.metrics, red.metrics
            status = f"{_status(base)}/{_status(red)}"
            if "carbon_kg" not in b or "carbon_kg" not in r:
                rows.append({"case": case.name, "power": case.power, "status": status})
                continue
            saved = b["carbon_kg"] - r["carbon_kg"]
            d_op = b["operational_kg"] - r["operational_kg"]
            bd = base.tables["breakdown"].set_index("component")
            rows.append(
                {
                    "case": case.name,
                    "power": case.power,
                    "host_embodied_method": case.method,
                    "carbon_rightsize_kg": b["carbon_kg"],
                    "carbon_reduce_kg": r["carbon_kg"],
                    "saving_pct": 100.0 * saved / b["carbon_kg"],
                    "saving_operational_pct": 100.0 * d_op / saved if saved else float("nan"),
                    "saving_embodied_pct": 100.0 * (saved - d_op) / saved
                    if saved
                    else float("nan"),
                    "dram_share_of_operational_pct": 100.0
                    * float(bd.loc["DRAM", "operational_kg"])
                    / b["operational_kg"],
                    "status": status,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


COLUMNS = [
    "case",
    "power",
    "host_embodied_method",
    "carbon_rightsize_kg",
    "carbon_reduce_kg",
    "saving_pct",
    "saving_operational_pct",
    "saving_embodied_pct",
    "dram_share_of_operational_pct",
    "status",
]


def to_markdown(table: pd.DataFrame) -> str:
    """The sensitivity table as a Markdown table (rounded for reading)."""
    head = (
        "| case | Reduce saves | of which operational / embodied | DRAM share of operational "
        "(full SKU) | carbon Rightsize only (t) | status |\n|---|---|---|---|---|---|\n"
    )
    recs: list[dict[Any, Any]] = table.to_dict("records")
    lines = [
        f"| {r['case']} | no solution | | | | {r['status']} |"
        if pd.isna(r["saving_pct"])
        else f"| {r['case']} | {r['saving_pct']:.1f}% | {r['saving_operational_pct']:.0f} / "
        f"{r['saving_embodied_pct']:.0f} | {r['dram_share_of_operational_pct']:.1f}% | "
        f"{r['carbon_rightsize_kg'] / 1e3:.1f} | {r['status']} |"
        for r in recs
    ]
    return head + "\n".join(lines) + "\n"


__all__ = ["CASES", "Case", "catalog_variant", "reduce_sensitivity", "to_markdown"]

"""Honest design comparison: EcoServe against the designs people build today.

``compare(loaded)`` solves one scenario as four families of designs (docs/formulation.md,
"Baselines and comparison"):

* ``conventional`` -- what operators build today: new full-SKU hosts, catalog lifetimes,
  no owned hardware, no CPU offload, no time shifting; Rightsize (GPU type, count and TP
  per model) is kept, because every operator chooses hardware for the metric it optimises.
  One design per objective: performance, energy, cost and carbon.
* ``same-design-space`` -- every pillar the scenario enables, only the objective differs:
  performance-, energy- and cost-optimised, and EcoServe (carbon-optimised). Here each
  design is best on its own metric and EcoServe is best on carbon, within the MIP gap
  (:func:`check_invariants`).
* (with ``pillars.split_phases``, the phase-split designs report the GPUs of their
  prefill and decode pools in ``prefill_gpus`` / ``decode_gpus``; "EcoServe without
  rightsize" also drops the split, which needs it)
* (when an LLM allows precisions beyond ``bf16`` (``llms.<name>.precisions``), every design
  may use them, as a scenario input like the GPU candidates, and column ``precision`` gives
  the first year's GPUs per precision, :func:`precision_mix`)
* ``leave-one-out`` -- EcoServe without one pillar (what that pillar adds on top of the
  others), and ``add-one`` -- the conventional carbon-optimised design plus one pillar
  (what the pillar does on its own). :func:`pillar_effects` turns them into savings, each
  flagged when it is within the MIP gap.

``performance`` designs are the cheapest whose mean online per-token latency is within
``latency_tolerance`` (scenario field, default 10%) of the lowest achievable: the strict
lexicographic optimum (tolerance 0) buys a batch-1 replica at the largest TP degree for
every online token, a design nobody builds.

:func:`write_compare` writes ``compare.csv`` (one row per design) and
``pillar_effects.csv``.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ecoserve_opt.api import solve
from ecoserve_opt.exceptions import InfeasibleError
from ecoserve_opt.io.yaml_loader import LoadedScenario, validate_dict

PILLARS = (
    "reduce",
    "reuse",
    "reuse_host_cpus",
    "rightsize",
    "recycle",
    "shift_offline",
    "split_phases",
)
CONVENTIONAL_PILLARS = {p: p == "rightsize" for p in PILLARS}
BASELINE_PILLARS = CONVENTIONAL_PILLARS  # the name before issue 12
FAMILIES = ("conventional", "same-design-space", "leave-one-out", "add-one")
ECOSERVE = "EcoServe"
CONVENTIONAL_CARBON = "conventional carbon-optimised"
METRIC_OF = {
    "performance": "latency_s_per_token",
    "energy": "energy_kwh",
    "cost": "cost_usd",
    "carbon": "carbon_kg",
}
LABEL = {
    "performance": "performance-optimised",
    "energy": "energy-optimised",
    "cost": "cost-optimised",
    "carbon": "carbon-optimised",
}
COLUMNS = [
    "design",
    "family",
    "objective",
    "pillars",
    "status",
    "carbon_kg",
    "operational_kg",
    "embodied_kg",
    "obsolescence_kg",
    "energy_kwh",
    "cost_usd",
    "latency_s_per_token",
    "gpus",
    "hosts",
    "offline_share_host_cpu",
    "offline_gpu",
    "offline_owned",
    "gap",
    "latency_min_s_per_token",
    "latency_tolerance",
    "note",
]
SOLVED = ("optimal", "feasible")
#: Host CPU cores by use (shares of all host cores over the horizon), after COLUMNS.
HOST_CPU_COLUMNS = ["host_cpu_gpu_serving", "host_cpu_offline", "host_cpu_idle"]


class _OncePerMessage(logging.Filter):
    """Lets each distinct log message through once (the same pre-solve warning holds for
    every design point built from one scenario)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if msg in self.seen:
            return False
        self.seen.add(msg)
        return True


@contextlib.contextmanager
def _warn_once(logger_name: str = "ecoserve_opt.api") -> Iterator[None]:
    """Within the block, a repeated warning of ``logger_name`` is logged only once."""
    logger = logging.getLogger(logger_name)
    once = _OncePerMessage()
    logger.addFilter(once)
    try:
        yield
    finally:
        logger.removeFilter(once)


@dataclass(frozen=True)
class DesignPoint:
    """A named (objective, pillars) combination of one family."""

    name: str
    objective: str
    pillars: dict[str, bool]
    family: str

    @property
    def group(self) -> str:
        """Alias of ``family`` (the column was called ``group`` before issue 12)."""
        return self.family


def conventional_pillars(loaded: LoadedScenario) -> dict[str, bool]:
    """Pillars of the conventional family: Rightsize only (if the scenario allows it)."""
    enabled = loaded.scenario.pillars.model_dump()
    return {p: p == "rightsize" and bool(enabled["rightsize"]) for p in PILLARS}


def design_points(loaded: LoadedScenario, pillar_effects: bool = True) -> list[DesignPoint]:
    """The design points compared for this scenario (see the module docstring)."""
    enabled = {p: bool(v) for p, v in loaded.scenario.pillars.model_dump().items()}
    conv = conventional_pillars(loaded)
    pts = [DesignPoint(f"conventional {LABEL[o]}", o, dict(conv), "conventional") for o in LABEL]
    pts += [
        DesignPoint(LABEL[o], o, dict(enabled), "same-design-space")
        for o in ("performance", "energy", "cost")
    ]
    pts.append(DesignPoint(ECOSERVE, "carbon", dict(enabled), "same-design-space"))
    if pillar_effects:
        for p in PILLARS:
            if enabled[p]:
                pts.append(
                    DesignPoint(
                        f"EcoServe without {p}", "carbon", _without(enabled, p), "leave-one-out"
                    )
                )
        for p in PILLARS:
            if enabled[p] and not conv[p]:
                pts.append(
                    DesignPoint(
                        f"{CONVENTIONAL_CARBON} + {p}", "carbon", {**conv, p: True}, "add-one"
                    )
                )
    return pts


def _without(pillars: dict[str, bool], p: str) -> dict[str, bool]:
    """``pillars`` with ``p`` off (and phase splitting with Rightsize, which it needs)."""
    out = {**pillars, p: False}
    if p == "rightsize":
        out["split_phases"] = False
    return out


def _phase_gpus(replicas: pd.DataFrame | None) -> dict[str, float]:
    """GPUs of the first year in prefill and decode pools (``pillars.split_phases``)."""
    out = {"prefill_gpus": 0.0, "decode_gpus": 0.0}
    if replicas is None or replicas.empty or "phase" not in replicas.columns:
        return out
    first = replicas[replicas["year"] == replicas["year"].min()]
    for ph in ("prefill", "decode"):
        out[f"{ph}_gpus"] = float(first.loc[first["phase"] == ph, "gpus"].sum())
    return out


def precision_mix(replicas: pd.DataFrame | None) -> str:
    """GPUs of the first year per numeric precision, e.g. ``fp8`` or ``bf16 25% / fp8 75%``
    (column ``precision`` of compare.csv when a scenario allows precisions beyond bf16)."""
    if replicas is None or replicas.empty or "precision" not in replicas.columns:
        return "-"
    first = replicas[replicas["year"] == replicas["year"].min()]
    by = first.groupby("precision")["gpus"].sum()
    by = by[by > 0]
    if len(by) == 1:
        return str(by.index[0])
    total = float(by.sum())
    return " / ".join(f"{q} {100.0 * float(n) / total:.0f}%" for q, n in by.items())


def _variant(
    loaded: LoadedScenario, pillars: dict[str, bool], latency_tolerance: float | None
) -> LoadedScenario:
    raw = dict(loaded.raw)
    raw["pillars"] = pillars
    if latency_tolerance is not None:
        raw["latency_tolerance"] = latency_tolerance
    out = validate_dict(raw, file=str(loaded.path or "<scenario>"), path=loaded.path)
    return LoadedScenario(out.scenario, loaded.path, raw, loaded.applied)


def _offline_split(offline: pd.DataFrame | None) -> dict[str, float]:
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
    progress: Callable[[int, int, str], None] | None = None,
    latency_tolerance: float | None = None,
    **solver_options: Any,
) -> pd.DataFrame:
    """Solve every design point; one row each (columns :data:`COLUMNS`), plus EcoServe's
    carbon reduction against each row (``ecoserve_reduction``) and whether that
    difference is within the two designs' MIP gaps (``reduction_within_gap``).

    ``ablation=False`` skips the pillar-effect families (leave-one-out, add-one).
    ``latency_tolerance`` overrides the scenario's for the performance designs.
    """
    rows: list[dict[str, Any]] = []
    pts = design_points(loaded, pillar_effects=ablation)
    with _warn_once():  # a pre-solve warning of the scenario is shown once, not per design
        for i, dp in enumerate(pts):
            if progress is not None:
                progress(i, len(pts), dp.name)
            sc = _variant(loaded, dp.pillars, latency_tolerance)
            row: dict[str, Any] = {
                "design": dp.name,
                "family": dp.family,
                "objective": dp.objective,
                "pillars": ",".join(p for p in PILLARS if dp.pillars[p]) or "-",
            }
            try:
                res = solve(sc, objective=dp.objective, **solver_options)
            except InfeasibleError as exc:
                rows.append({**row, "status": "infeasible", "note": str(exc)})
                continue
            m = res.metrics
            row["status"] = res.status.value
            for col in COLUMNS[COLUMNS.index("carbon_kg") : COLUMNS.index("gap") + 1]:
                if col in m.index:
                    row[col] = m.get(col)
            for col in HOST_CPU_COLUMNS:
                if col in m.index:
                    row[col] = m.get(col)
            if res.status.has_solution:
                split = _offline_split(res.tables.get("offline"))
                row.update({k: v for k, v in split.items() if k != "offline_host_cpu"})
                row.setdefault("offline_share_host_cpu", split["offline_host_cpu"])
                if dp.pillars.get("split_phases"):
                    row.update(_phase_gpus(res.tables.get("replicas")))
                if any(q != "bf16" for sp in sc.scenario.llms.values() for q in sp.precisions):
                    row["precision"] = precision_mix(res.tables.get("replicas"))
            else:
                row["note"] = f"no solution ({res.status.value})"
            if dp.objective == "performance":
                row["latency_min_s_per_token"] = res.meta.get("latency_min_s_per_token")
                row["latency_tolerance"] = sc.scenario.latency_tolerance
            rows.append(row)
    df = pd.DataFrame(rows)
    df = df.reindex(columns=[*COLUMNS, *[c for c in df.columns if c not in COLUMNS]])
    eco = df.loc[(df["design"] == ECOSERVE) & df["status"].isin(SOLVED), "carbon_kg"]
    if len(eco) and pd.notna(eco.iloc[0]):
        e = float(eco.iloc[0])
        carbon = pd.to_numeric(df["carbon_kg"], errors="coerce")
        df["ecoserve_reduction"] = (carbon - e) / carbon
        df["reduction_within_gap"] = [
            within_gap(df, ECOSERVE, str(d)) if pd.notna(c) else None
            for d, c in zip(df["design"], carbon, strict=True)
        ]
    df.attrs["breakeven"] = cpu_breakeven(loaded)
    return df


def cpu_breakeven(loaded: LoadedScenario) -> pd.DataFrame:
    """Per offline LLM, the grid intensity below which host-CPU Reuse lowers total carbon
    (:func:`ecoserve_opt.breakeven.break_even`, on the scenario's data with host-CPU reuse
    offered), with the scenario's mean grid intensity and whether it lies below."""
    from ecoserve_opt.breakeven import break_even
    from ecoserve_opt.data import build_data

    pillars = {p: bool(v) for p, v in loaded.scenario.pillars.model_dump().items()}
    d = build_data(_variant(loaded, {**pillars, "reuse_host_cpus": True}, None))
    be = break_even(d)
    if be.empty:
        return be
    grid = 1e3 * sum(d.ci[(d.years[0], s)] for s in d.slots) / len(d.slots)
    be["scenario_grid_g_per_kwh"] = grid
    be["pays_at_scenario_grid"] = be["break_even_g_per_kwh"] > grid
    return be


def _gap(rows: pd.DataFrame, name: str) -> float:
    g = pd.to_numeric(pd.Series([rows.loc[name, "gap"]]), errors="coerce").iloc[0]
    return 0.0 if pd.isna(g) else float(g)


def within_gap(table: pd.DataFrame, a: str, b: str, metric: str = "carbon_kg") -> bool:
    """True when designs ``a`` and ``b`` differ on ``metric`` by less than their MIP gaps
    allow (the difference may be solver tolerance, not a real effect)."""
    rows = table.set_index(_name_col(table))
    va, vb = _f(rows.loc[a, metric]), _f(rows.loc[b, metric])
    tol = max(_gap(rows, a), _gap(rows, b)) * max(abs(va), abs(vb))
    return abs(va - vb) <= tol + 1e-9 * max(abs(va), abs(vb), 1.0)


def _f(value: Any) -> float:
    return float(value)


def _name_col(table: pd.DataFrame) -> str:
    return "design" if "design" in table.columns else "design_point"


def check_invariants(table: pd.DataFrame) -> list[str]:
    """What must hold in a comparison; returns the violations (empty when all hold).

    Within each of ``conventional`` and ``same-design-space`` (one design space each),
    every design is best on its own metric within its MIP gap: for cost, energy and carbon
    :math:`f_A (1 - g_A) \\le f_B` for every other solved design :math:`B` of the family;
    the performance design's latency is at most ``(1 + latency_tolerance)`` times every
    other design's. EcoServe's carbon is also at most every conventional design's (its
    design space contains theirs).
    """
    bad: list[str] = []
    ok = table[table["status"].isin(SOLVED)]
    eps = 1e-9
    for fam in ("conventional", "same-design-space"):
        rows = ok[ok["family"] == fam]
        for _, a in rows.iterrows():
            metric = METRIC_OF[str(a["objective"])]
            va = float(a[metric])
            ga = 0.0 if pd.isna(a.get("gap")) else float(a["gap"])
            slack = 1.0
            if a["objective"] == "performance":
                tol = a.get("latency_tolerance")
                slack = 1.0 + (0.0 if tol is None or pd.isna(tol) else float(tol)) + 1e-6
            for _, b in rows.iterrows():
                if b["design"] == a["design"]:
                    continue
                vb = float(b[metric])
                if va * (1 - ga) > vb * slack * (1 + eps) + eps:
                    bad.append(
                        f"{fam}: {a['design']} ({metric} {va:.6g}, gap {ga:.2g}) is not best "
                        f"on its own metric: {b['design']} has {vb:.6g}"
                    )
    eco = ok[ok["design"] == ECOSERVE]
    if len(eco):
        e = eco.iloc[0]
        ge = 0.0 if pd.isna(e.get("gap")) else float(e["gap"])
        for _, b in ok[ok["family"] == "conventional"].iterrows():
            if float(e["carbon_kg"]) * (1 - ge) > float(b["carbon_kg"]) * (1 + eps) + eps:
                bad.append(
                    f"EcoServe's carbon {float(e['carbon_kg']):.6g} exceeds {b['design']}'s "
                    f"{float(b['carbon_kg']):.6g}"
                )
    return bad


def pillar_effects(table: pd.DataFrame) -> pd.DataFrame:
    """Carbon effect of each pillar, from the leave-one-out and add-one families.

    * ``leave_one_out_kg``: carbon of EcoServe without the pillar minus EcoServe's (what the
      pillar adds on top of all the others);
    * ``add_one_kg``: carbon of the conventional carbon-optimised design minus the same
      design with the pillar switched on (what the pillar does on its own);

    each with its share of the reference design's carbon and a ``*_within_gap`` flag (True:
    the difference is within the MIP gaps, not a significant effect). Rightsize is part of
    the conventional baseline, so it has no add-one row.
    """
    cols = [
        "pillar",
        "leave_one_out_kg",
        "leave_one_out_share",
        "leave_one_out_within_gap",
        "add_one_kg",
        "add_one_share",
        "add_one_within_gap",
    ]
    ok = table[table["status"].isin(SOLVED)]
    names = set(ok["design"])
    carbon = ok.set_index("design")["carbon_kg"].astype(float).to_dict()
    out = []
    for p in PILLARS:
        r: dict[str, Any] = {"pillar": p}
        loo = f"EcoServe without {p}"
        if loo in names and ECOSERVE in names:
            d = carbon[loo] - carbon[ECOSERVE]
            r["leave_one_out_kg"] = d
            r["leave_one_out_share"] = d / carbon[loo] if carbon[loo] else math.nan
            r["leave_one_out_within_gap"] = within_gap(ok, loo, ECOSERVE)
        add = f"{CONVENTIONAL_CARBON} + {p}"
        if add in names and CONVENTIONAL_CARBON in names:
            d = carbon[CONVENTIONAL_CARBON] - carbon[add]
            r["add_one_kg"] = d
            base = carbon[CONVENTIONAL_CARBON]
            r["add_one_share"] = d / base if base else math.nan
            r["add_one_within_gap"] = within_gap(ok, add, CONVENTIONAL_CARBON)
        if len(r) > 1:
            out.append(r)
    return pd.DataFrame(out, columns=cols)


def cpu_reuse_saving(table: pd.DataFrame) -> float | None:
    """kgCO2e saved by host-CPU reuse (EcoServe without it minus EcoServe), if both solved."""
    rows = table.set_index(_name_col(table))
    try:
        return _f(rows.loc["EcoServe without reuse_host_cpus", "carbon_kg"]) - _f(
            rows.loc[ECOSERVE, "carbon_kg"]
        )
    except (KeyError, TypeError, ValueError):
        return None


def write_compare(table: pd.DataFrame, out_dir: str | Path) -> Path:
    """Write ``compare.csv`` (one row per design) and ``pillar_effects.csv`` to
    ``out_dir`` (created), atomically; returns the path of ``compare.csv``."""
    from ecoserve_opt.io.atomic import atomic_write_text

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compare.csv"
    atomic_write_text(path, table.to_csv(index=False))
    if "family" in table.columns:
        atomic_write_text(out / "pillar_effects.csv", pillar_effects(table).to_csv(index=False))
    be = table.attrs.get("breakeven")
    if isinstance(be, pd.DataFrame) and not be.empty:
        atomic_write_text(out / "breakeven.csv", be.to_csv(index=False))
    return path


def summary_lines(table: pd.DataFrame) -> list[str]:
    """Plain-text findings: EcoServe against each baseline and each pillar's effect, every
    difference within the MIP gap said so, and any invariant violation."""
    lines: list[str] = []
    base = table[table["family"].isin(["conventional", "same-design-space"])]
    if "ecoserve_reduction" in table:
        for _, r in base[base["design"] != ECOSERVE].iterrows():
            if pd.notna(r.get("ecoserve_reduction")):
                note = " (within the MIP gap)" if r.get("reduction_within_gap") is True else ""
                lines.append(
                    f"EcoServe vs {r['design']} [{r['family']}]: "
                    f"{r['ecoserve_reduction']:.1%} lower carbon{note}"
                )
    eff = pillar_effects(table) if "family" in table else pd.DataFrame()
    for _, r in eff.iterrows():
        parts = []
        for key, what in (("add_one", "added to conventional"), ("leave_one_out", "left out")):
            kg = r.get(f"{key}_kg")
            if pd.notna(kg):
                flag = " (within the MIP gap)" if bool(r.get(f"{key}_within_gap")) else ""
                parts.append(f"{what}: {kg:,.0f} kgCO2e ({r[f'{key}_share']:.1%}){flag}")
        if parts:
            lines.append(f"{r['pillar']}: " + "; ".join(parts))
    be = table.attrs.get("breakeven")
    if isinstance(be, pd.DataFrame):
        lines += breakeven_lines(be)
    lines += [f"INVARIANT VIOLATED: {v}" for v in check_invariants(table)]
    return lines


def breakeven_lines(be: pd.DataFrame) -> list[str]:
    """One plain-text line per LLM of a :func:`cpu_breakeven` table."""
    lines: list[str] = []
    for rec in be.to_dict("records"):
        ci = float(rec["break_even_g_per_kwh"])
        if "cpu_host" not in rec or pd.isna(rec.get("cpu_host")):
            lines.append(f"host-CPU Reuse break-even, {rec['llm']}: none ({rec.get('note')})")
            continue
        verdict = "pays" if rec["pays_at_scenario_grid"] else "does not pay"
        lines.append(
            f"host-CPU Reuse break-even, {rec['llm']}: {ci:.3g} gCO2e/kWh "
            f"({rec['cpu_host']} CPUs at batch {rec['cpu_batch']} vs new {rec['gpu']} "
            f"on {rec['gpu_host']}, {rec['embodied_source']} embodied); it {verdict} at the "
            f"scenario's {float(rec['scenario_grid_g_per_kwh']):.0f} gCO2e/kWh when the "
            "offline work would need additional GPUs"
        )
    return lines

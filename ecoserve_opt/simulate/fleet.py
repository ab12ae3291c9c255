"""Read a results folder (``ecoserve solve --out DIR``) into replica specifications.

The folder's ``meta.json`` carries the validated scenario (``scenario_spec``); the data layer
rebuilds :class:`~ecoserve_opt.data.ModelData` from it, so the replay uses exactly the
operating points, KV sizes and profiles the MILP used. Per replica group
``(llm, gpu, tp, pool)`` of the chosen year, ``replicas.csv`` gives the count and
``utilisation.csv`` the operating point (batch) the MILP served online and offline load at.

Per-iteration times come from the profile rows through the data layer's own
:func:`ecoserve_opt.data._profile_point` (TTFT and TPOT at a prompt length, for one profile
batch, with the same calibrated-roofline reference outside the measured prompt range as
the MILP's operating points), evaluated at every profile batch and prompt length and
linearly interpolated between batch sizes (:func:`_interp`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ecoserve_opt.catalog import load_catalog, select_engine
from ecoserve_opt.data import (
    KV_MEMORY_FRACTION,
    ModelData,
    _gpu_reference,
    _profile_point,
    _roofline_specs,
    build_data,
)
from ecoserve_opt.exceptions import EcoserveError, ScenarioError
from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.schema.scenario import Scenario
from ecoserve_opt.simulate.engine import ReplicaSpec

#: Smallest iteration time used when a profile extrapolates to <= 0 (1 microsecond).
MIN_ITERATION_S = 1e-6


def _interp(x0: float, x: np.ndarray, y: np.ndarray) -> float:
    """Linear interpolation in x, linear extrapolation beyond the table's ends (one row:
    proportional to x0)."""
    if len(x) == 1:
        return float(y[0]) * (x0 / x[0] if x[0] > 0 else 1.0)
    if x0 <= x[0]:
        i, j = 0, 1
    elif x0 >= x[-1]:
        i, j = len(x) - 2, len(x) - 1
    else:
        return float(np.interp(x0, x, y))
    return float(y[i] + (y[j] - y[i]) * (x0 - x[i]) / (x[j] - x[i]))


@dataclass(frozen=True)
class FleetFolder:
    """A results folder read for replay: model data and the fleet tables."""

    path: Path
    data: ModelData
    replicas: pd.DataFrame
    utilisation: pd.DataFrame
    offline: pd.DataFrame
    status: str


def _read_table(folder: Path, name: str, fmt: str) -> pd.DataFrame | None:
    f = folder / f"{name}.{fmt}"
    if not f.exists():
        return None
    return pd.read_parquet(f) if fmt == "parquet" else pd.read_csv(f)


def load_folder(path: str | Path) -> FleetFolder:
    """Read ``path`` (raises :class:`EcoserveError` with a one-line reason when unusable)."""
    folder = Path(path)
    meta_f = folder / "meta.json"
    if not folder.is_dir():
        raise EcoserveError(f"{folder}: results folder not found")
    if not meta_f.exists():
        raise EcoserveError(
            f"{folder}: not a results folder (no meta.json; write one with `ecoserve solve --out`)"
        )
    try:
        meta = json.loads(meta_f.read_text())
    except json.JSONDecodeError as exc:
        raise EcoserveError(f"{meta_f}: not valid JSON ({exc.msg})") from None
    fmt = str(meta.get("format", "csv"))
    reps = _read_table(folder, "replicas", fmt)
    if reps is None or reps.empty or float(reps["replicas"].sum()) <= 0:
        raise EcoserveError(
            f"{folder}: no fleet to replay (no replicas table; solve status "
            f"{meta.get('status', 'unknown')})"
        )
    if "phase" in reps.columns and bool((reps["phase"].fillna("both") != "both").any()):
        raise EcoserveError(
            f"{folder}: the replay simulates co-located replicas only; this fleet has "
            "prefill/decode pools (pillars.split_phases), which it cannot replay yet"
        )
    spec = meta.get("scenario_spec")
    if spec is None:
        raise EcoserveError(
            f"{meta_f}: no scenario_spec (written by an older ecoserve-opt); "
            "re-run `ecoserve solve --out` to replay this design"
        )
    try:
        scenario = Scenario.model_validate(spec)
    except ValueError as exc:
        first = str(exc).splitlines()
        raise ScenarioError(
            str(meta_f), "scenario_spec", first[-1] if first else "invalid"
        ) from None
    catalog = None
    if scenario.catalog != "default":
        catalog = load_catalog(meta.get("catalog_dir"))
    data = build_data(LoadedScenario(scenario, None, {}), catalog)
    util = _read_table(folder, "utilisation", fmt)
    off = _read_table(folder, "offline", fmt)
    return FleetFolder(
        path=folder,
        data=data,
        replicas=reps,
        utilisation=util if util is not None else pd.DataFrame(),
        offline=off if off is not None else pd.DataFrame(),
        status=str(meta.get("status", "unknown")),
    )


def time_tables(
    data: ModelData, llm: str, gpu: str, tp: int, batch_cap: int, n_in: int, n_out: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prompt-length grid and prefill/decode time tables (rows 0..batch_cap) of a replica."""
    cat = load_catalog(data.catalog_path)
    llm_spec, gpu_spec = _roofline_specs(cat)
    prof = select_engine(
        cat.profiles.reset_index(), data.scenario.profiles.engine, data.scenario_file
    )
    rows = prof[(prof["llm"] == llm) & (prof["gpu"] == gpu) & (prof["tp"] == tp)]
    if rows.empty:
        raise EcoserveError(f"no serving profile for {llm} on {tp}x {gpu}")
    x = np.unique(rows["prompt_tokens"].to_numpy(float))
    # grid: the profile's prompt lengths plus far ends, so np.interp reproduces the data
    # layer's linear interpolation inside and its linear extrapolation outside
    grid = np.unique(np.concatenate([[1.0], x, [max(2.0 * x.max(), 131072.0)]]))
    batches = sorted(int(b) for b in rows["batch"].unique())
    pre_b = np.zeros((len(batches), len(grid)))
    dec_b = np.zeros((len(batches), len(grid)))
    for i, b in enumerate(batches):
        grp = rows[rows["batch"] == b]
        for j, p in enumerate(grid):
            ref = _gpu_reference(llm_spec.get(llm), gpu_spec.get(gpu), tp, b)
            pt = _profile_point(grp, int(p), n_out, b, ref)
            if pt is None:  # extrapolated below zero: the smallest positive time
                pre_b[i, j] = dec_b[i, j] = MIN_ITERATION_S
            else:
                pre_b[i, j] = max(pt[0], MIN_ITERATION_S)
                dec_b[i, j] = max(pt[1], MIN_ITERATION_S)
    bx = np.asarray(batches, float)
    pre = np.zeros((batch_cap + 1, len(grid)))
    dec = np.zeros((batch_cap + 1, len(grid)))
    for k in range(1, batch_cap + 1):
        for j in range(len(grid)):
            pre[k, j] = max(_interp(k, bx, pre_b[:, j]), MIN_ITERATION_S)
            dec[k, j] = max(_interp(k, bx, dec_b[:, j]), MIN_ITERATION_S)
    return grid, pre, dec


def kv_budget_tokens(data: ModelData, llm: str, gpu: str, tp: int) -> float:
    """KV-cache tokens one replica holds: the MILP's memory rule
    ``weights + tokens x kv_bytes <= KV_MEMORY_FRACTION x memory x tp``."""
    kvb = data.llm_kv_bytes.get(llm, 0.0)
    free_gb = KV_MEMORY_FRACTION * data.gpus[gpu].memory_gb * tp - data.llm_weights_gb[llm]
    if kvb <= 0:
        return float("inf")
    return max(free_gb, 0.0) * 1e9 / kvb


def _chosen_batch(
    util: pd.DataFrame, key: tuple[str, str, int], cls: str, year: int, slot: int
) -> int:
    """Largest batch the MILP served class ``cls`` at on this replica group (slot first)."""
    if util.empty:
        return 0
    llm, gpu, tp = key
    u = util[
        (util["llm"] == llm)
        & (util["gpu"] == gpu)
        & (util["tp"] == tp)
        & (util["class"] == cls)
        & (util["year"] == year)
        & (util["tokens_per_s"] > 1e-9)
    ]
    here = u[u["slot"] == slot]
    pick = here if not here.empty else u
    return int(pick["batch"].max()) if not pick.empty else 0


def replica_specs(ff: FleetFolder, llm: str, year: int, slot: int) -> list[ReplicaSpec]:
    """One :class:`ReplicaSpec` per replica of ``llm`` in ``year`` (points of ``slot``)."""
    d = ff.data
    reps = ff.replicas[(ff.replicas["llm"] == llm) & (ff.replicas["year"] == year)]
    spec = d.scenario.llms[llm]
    out: list[ReplicaSpec] = []
    for row in reps.to_dict("records"):
        count = round(float(row["replicas"]))
        if count <= 0:
            continue
        gpu, tp, pool = str(row["gpu"]), int(row["tp"]), str(row["pool"])
        precision = str(row.get("precision", "bf16"))
        if precision != "bf16":
            raise EcoserveError(
                f"trace replay: {llm} on {tp} x {gpu} runs at {precision}; the replay's "
                "time tables are the 16-bit serving profiles, so only bf16 replicas are "
                "replayed (docs/simulate.md)"
            )
        key = (llm, gpu, tp)
        pts = [p for p in d.points if p[:3] == key and p.precision == precision]
        on_pts = [p[3] for p in pts if p[4] == "online"]
        off_pts = [p[3] for p in pts if p[4] == "offline"]
        serves_on = spec.online is not None and pool in ("shared", "online") and bool(on_pts)
        serves_off = spec.offline is not None and pool in ("shared", "offline") and bool(off_pts)
        if not (serves_on or serves_off):
            continue
        if serves_on and spec.online is not None:
            b = _chosen_batch(ff.utilisation, key, "online", year, slot) or max(on_pts)
            n_in, n_out = spec.online.input_tokens, spec.online.output_tokens
        elif spec.offline is not None:
            b = _chosen_batch(ff.utilisation, key, "offline", year, slot) or max(off_pts)
            n_in, n_out = spec.offline.input_tokens, spec.offline.output_tokens
        grid, pre, dec = time_tables(d, llm, gpu, tp, b, n_in, n_out)
        kv = kv_budget_tokens(d, llm, gpu, tp)
        for i in range(count):
            out.append(
                ReplicaSpec(
                    name=f"{llm}/{gpu}/tp{tp}/{pool}#{i}",
                    online=serves_on,
                    offline=serves_off,
                    batch_cap=b,
                    kv_tokens=kv,
                    grid=grid,
                    prefill_s=pre,
                    decode_s=dec,
                )
            )
    return out

"""Serving sections of the data: operating points from the LLM profiles.

* **Rightsize** -- operating points ``K`` (llm, gpu, tp, batch, class, precision) with their
  capacity, power and latency, online points only where the SLOs hold; replicas ``R`` of the
  configurations whose tensor-parallel group fits one host; precisions other than ``bf16``
  only where the LLM's ``precisions`` allow them (:func:`_precision_points`);
* **Reuse (host CPUs)** -- CPU serving points ``KC`` for offline work, from the CPU
  profiles.

Profiles are interpolated at the scenario's prompt length (:func:`_profile_point`), with the
calibrated roofline of ``perf/roofline.py`` as the reference outside the measured range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ecoserve_opt.catalog import Catalog, select_engine
from ecoserve_opt.data.keys import CpuPoint, HostGpu, Point, Replica
from ecoserve_opt.data.model import CLASSES, KV_MEMORY_FRACTION, NO_GPU, GpuType, HostItem
from ecoserve_opt.data.power_cap import filter_points
from ecoserve_opt.data.power_mode import scale_points
from ecoserve_opt.schema.scenario import Scenario


def _operating_points(
    s: Scenario,
    cat: Catalog,
    gpus: dict[str, GpuType],
    file: str,
) -> tuple[list[Point], dict[Point, dict[str, float]]]:
    """Per (llm, gpu, tp, batch, class, precision): capacity, power, latency for the class's
    lengths; ``bf16`` points from the profiles, the others from :func:`_precision_points`.

    TTFT and TPOT are made non-decreasing in the batch size (running maximum over the
    batches of one (llm, gpu, tp)): a larger batch never prefills or decodes faster; the
    few measured rows that say otherwise are measurement noise, and keeping them would let
    the model pick a physically impossible faster point.
    """
    prof = select_engine(cat.profiles.reset_index(), s.profiles.engine, file)
    prof = prof[prof["gpu"].isin(list(gpus)) & prof["tp"].isin(s.hardware.tp_degrees)]
    if s.hardware.batches is not None:
        prof = prof[prof["batch"].isin(s.hardware.batches)]
    llm_spec, gpu_spec = _roofline_specs(cat)
    groups = _profile_groups(prof)
    out: dict[Point, dict[str, float]] = {}
    for llm, spec in s.llms.items():
        if "bf16" not in spec.precisions:
            continue
        llm_row = cat.row("llms", llm)
        weights = float(llm_row["weights_gb"])
        kvb = float(llm_row.get("kv_bytes_per_token", 0.0))
        mine = groups.get(llm, [])
        for cls in CLASSES:
            dem = getattr(spec, cls)
            if dem is None:
                continue
            n_in, n_out = dem.input_tokens, dem.output_tokens
            floor: dict[tuple[str, int], tuple[float, float]] = {}  # running max over batch
            for gpu, tp_i, b_i, cols in mine:  # batches ascending per (gpu, tp)
                g = gpus[gpu]
                mem_need = weights / tp_i + b_i * (n_in + n_out) * kvb / tp_i / 1e9
                if mem_need > KV_MEMORY_FRACTION * g.memory_gb:
                    continue
                ref = _gpu_reference(llm_spec.get(llm), gpu_spec.get(gpu), tp_i, b_i)
                point = _point_from_arrays(*cols, n_in, n_out, b_i, ref, g.tdp_kw)
                if point is None:
                    continue
                ttft, tpot, power_kw, _cap = point
                lo_ttft, lo_tpot = floor.get((gpu, tp_i), (0.0, 0.0))
                ttft, tpot = max(ttft, lo_ttft), max(tpot, lo_tpot)
                floor[(gpu, tp_i)] = (ttft, tpot)
                cap = b_i * n_out / (ttft + n_out * tpot)
                if cls == "online" and (ttft > dem.ttft_slo or tpot > dem.tpot_slo):
                    continue
                out[Point(llm, gpu, tp_i, b_i, cls)] = {
                    "cap": cap,
                    "power_kw": max(power_kw, g.idle_kw),
                    "latency": ttft / n_out + tpot,
                    "ttft": ttft,
                    "tpot": tpot,
                }
    out.update(_precision_points(s, cat, prof, gpus, file))
    out = scale_points(s, cat, gpus, out, file)  # profiles.power (data/power_mode.py)
    out = filter_points(s, cat, gpus, out, file)  # capped GPUs: measured domain only
    return sorted(out), out


#: (prompt_tokens, ttft_ms, tpot_ms, power_w) of the rows of one profile group
Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _profile_groups(prof: pd.DataFrame) -> dict[str, list[tuple[str, int, int, Columns]]]:
    """The profile rows per LLM as ``(gpu, tp, batch, columns)`` groups, sorted by
    ``(gpu, tp, batch)`` with each group's rows in their order in the frame: what
    ``prof[prof.llm == llm].groupby(["gpu", "tp", "batch"])`` yields, taken apart once as
    numpy arrays instead of per group and class (the per-group pandas indexing was most
    of the time of :func:`_operating_points`)."""
    if prof.empty:
        return {}
    llm = prof["llm"].astype(str).to_numpy(object)
    gpu = prof["gpu"].astype(str).to_numpy(object)
    tp = prof["tp"].to_numpy()
    batch = prof["batch"].to_numpy()
    cols = _point_columns(prof)
    keys = list(zip(llm.tolist(), gpu.tolist(), tp.tolist(), batch.tolist(), strict=True))
    out: dict[str, list[tuple[str, int, int, Columns]]] = {}
    for (m, g, t, b), rows in _sorted_groups(keys):
        out.setdefault(str(m), []).append((str(g), int(t), int(b), _take(cols, rows)))
    return out


def _point_columns(frame: pd.DataFrame) -> list[np.ndarray]:
    """The prompt length, TTFT, TPOT and power columns of profile rows, as float arrays."""
    return [frame[c].to_numpy(float) for c in ("prompt_tokens", "ttft_ms", "tpot_ms", "power_w")]


def _take(cols: list[np.ndarray], rows: np.ndarray) -> Columns:
    """The rows ``rows`` of the four :func:`_point_columns` arrays."""
    return (cols[0][rows], cols[1][rows], cols[2][rows], cols[3][rows])


def _sorted_groups(keys: list[tuple[Any, ...]]) -> Iterator[tuple[tuple[Any, ...], np.ndarray]]:
    """``(key, row positions)`` per distinct key, by ascending key, each group's rows in
    their order in ``keys`` (a stable sort): what a pandas ``groupby`` on those columns
    yields."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and keys[order[stop]] == keys[order[start]]:
            stop += 1
        yield keys[order[start]], np.array(order[start:stop])
        start = stop


#: (ttft_ms, tpot_ms, power_w) of an operating point at a prompt length, from a model.
Reference = Callable[[float], tuple[float, float, float]]


def _roofline_specs(cat: Catalog) -> tuple[dict[str, Any], dict[str, Any]]:
    """Roofline specs of the catalog's LLMs and GPUs ({} when its columns are missing)."""
    from ecoserve_opt.perf.roofline import gpu_specs, llm_specs

    try:
        return llm_specs(cat.llms), gpu_specs(cat.gpus)
    except (KeyError, ValueError, TypeError):
        return {}, {}


def _gpu_reference(llm: Any, gpu: Any, tp: int, batch: int) -> Reference | None:
    """The calibrated GPU roofline of one (llm, gpu, tp, batch) as a function of the prompt
    length (catalog output length), or ``None`` without specs."""
    if llm is None or gpu is None:
        return None
    from ecoserve_opt.perf.roofline import estimate_gpu

    def ref(prompt: float) -> tuple[float, float, float]:
        e = estimate_gpu(llm, gpu, tp, batch, max(1, round(prompt)))
        return e.ttft_ms, e.tpot_ms, e.power_w

    return ref


def _cpu_reference(llm: Any, cpu: Any, batch: int) -> Reference | None:
    """The CPU-socket roofline of one (llm, cpu, batch), or ``None`` without specs."""
    if llm is None or cpu is None:
        return None
    from ecoserve_opt.perf.roofline import estimate_cpu

    def ref(prompt: float) -> tuple[float, float, float]:
        e = estimate_cpu(llm, cpu, batch, max(1, round(prompt)))
        return e.ttft_ms, e.tpot_ms, e.power_w

    return ref


def _profile_point(
    grp: pd.DataFrame,
    n_in: int,
    n_out: int,
    batch: int,
    ref: Reference | None = None,
    max_kw: float | None = None,
) -> tuple[float, float, float, float] | None:
    """TTFT (s), TPOT (s), power (kW) and output tokens/s of one replica (or CPU socket) at
    prompt length ``n_in``; ``None`` when the latencies are not positive.

    Inside the rows' prompt range: linear interpolation. Outside it (and for a single row),
    the nearest row is scaled by the reference model's ratio between ``n_in`` and that row's
    prompt length (``ref``: the calibrated roofline), so only what depends on the prompt
    changes (prefill time grows with it, TPOT mildly through attention over the KV cache,
    power stays near the row's); without a reference TTFT scales with the prompt and TPOT
    and power are the row's. Latencies are made non-decreasing in the prompt length (running
    maximum over the rows: measured and roofline rows may disagree by a few %) and power
    never exceeds ``max_kw`` (the GPU's TDP; CPU socket rows are taken as given).

    Capacity = batch x O / (TTFT + O x TPOT): a batch of requests is prefilled, then decodes
    its O tokens.
    """
    return _point_from_arrays(
        grp["prompt_tokens"].to_numpy(float),
        grp["ttft_ms"].to_numpy(float),
        grp["tpot_ms"].to_numpy(float),
        grp["power_w"].to_numpy(float),
        n_in,
        n_out,
        batch,
        ref,
        max_kw,
    )


def _point_from_arrays(
    prompt: np.ndarray,
    ttft_col: np.ndarray,
    tpot_col: np.ndarray,
    power_col: np.ndarray,
    n_in: int,
    n_out: int,
    batch: int,
    ref: Reference | None = None,
    max_kw: float | None = None,
) -> tuple[float, float, float, float] | None:
    """:func:`_profile_point` on a group's columns (prompt tokens, TTFT ms, TPOT ms, W)."""
    order = np.argsort(prompt, kind="stable")
    x = prompt[order]
    ys = (
        np.maximum.accumulate(ttft_col[order]),
        np.maximum.accumulate(tpot_col[order]),
        power_col[order],
    )
    if len(x) > 1 and x[0] <= n_in <= x[-1]:
        ttft_ms, tpot_ms, power_w = (float(np.interp(n_in, x, y)) for y in ys)
    else:
        j = 0 if n_in < x[0] else len(x) - 1
        if ref is not None:
            at, row = ref(n_in), ref(x[j])
            ttft_ms, tpot_ms, power_w = (
                float(y[j]) * (a / r if r > 0 else 1.0) for y, a, r in zip(ys, at, row, strict=True)
            )
        else:
            ttft_ms = float(ys[0][j]) * (n_in / x[j] if x[j] > 0 else 1.0)
            tpot_ms, power_w = float(ys[1][j]), float(ys[2][j])
    ttft, tpot, power_kw = ttft_ms / 1e3, tpot_ms / 1e3, power_w / 1e3
    if max_kw is not None:
        power_kw = min(power_kw, max_kw)
    if ttft <= 0 or tpot <= 0:
        return None
    return ttft, tpot, power_kw, batch * n_out / (ttft + n_out * tpot)


def _cpu_traffic_gbs(
    cap: float, batch: int, weights_gb: float, kv_bytes: float, n_in: int, n_out: int
) -> float:
    """Memory traffic (GB/s) of one socket serving ``cap`` tokens/s at ``batch``.

    Each decode step reads the weights once and each sequence's KV cache (mean context
    ``n_in + n_out/2``): steps/s = cap / batch.
    """
    per_step = weights_gb + batch * (n_in + n_out / 2.0) * kv_bytes / 1e9
    return cap / batch * per_step


@dataclass
class ServingSection:
    """Operating points ``K`` with their data, replicas ``R`` and the pools of the classes."""

    points: list[Point]
    info: dict[Point, dict[str, float]]  # cap, power_kw, latency, ttft, tpot
    replicas: list[Replica]
    pools: list[str]
    class_pool: dict[str, str]


def serving_section(
    s: Scenario,
    cat: Catalog,
    gpus: dict[str, GpuType],
    hosts: dict[str, HostItem],
    host_gpu: list[HostGpu],
    file: str,
) -> ServingSection:
    """Rightsize: operating points and replica configurations (see module docstring)."""
    pts, info = _operating_points(s, cat, gpus, file)
    # a replica's TP group must fit inside one host: tp <= largest slot count for that GPU
    max_slots: dict[str, int] = {}
    for hid, gid in host_gpu:
        if gid != NO_GPU:
            max_slots[gid] = max(max_slots.get(gid, 0), hosts[hid].gpu_slots)
    pts = [p for p in pts if p.tp <= max_slots.get(p.gpu, 0)]
    replicas = sorted({p.replica for p in pts})
    pools = ["shared"] if s.share_online_offline else ["online", "offline"]
    class_pool = {c: ("shared" if s.share_online_offline else c) for c in CLASSES}
    return ServingSection(pts, info, replicas, pools, class_pool)


@dataclass
class CpuSection:
    """Reuse (host CPUs): CPU serving points ``KC``, tokens/s and load power per socket."""

    points: list[CpuPoint]
    cap: dict[tuple[str, str, int], float]
    dyn_kw: dict[tuple[str, str, int], float]


def cpu_section(s: Scenario, cat: Catalog, hosts: dict[str, HostItem]) -> CpuSection:
    """Offline serving points on the hosts' CPUs (EcoServe's idle-CPU reuse); empty when
    the pillar is off or the catalog has no CPU profiles."""
    sec = CpuSection([], {}, {})
    if not s.pillars.reuse_host_cpus or cat.cpu_profiles is None:
        return sec
    from ecoserve_opt.perf.roofline import cpu_specs

    cp = cat.cpu_profiles.reset_index()
    llm_spec, _ = _roofline_specs(cat)
    try:
        cpu_spec = cpu_specs(cat.hosts)
    except (KeyError, ValueError, TypeError):
        cpu_spec = {}
    groups = _cpu_profile_groups(cp)
    for llm, spec in s.llms.items():
        if spec.offline is None:
            continue
        n_in, n_out = spec.offline.input_tokens, spec.offline.output_tokens
        llm_row = cat.row("llms", llm)
        weights_gb = float(llm_row["weights_gb"])
        kv_bytes = float(llm_row.get("kv_bytes_per_token", 0.0))
        for hid, h in hosts.items():
            for batch, cols in groups.get((llm, h.cpu), []):
                ref = _cpu_reference(llm_spec.get(llm), cpu_spec.get(h.cpu), batch)
                point = _point_from_arrays(*cols, n_in, n_out, batch, ref)
                if point is None:
                    continue
                key = CpuPoint(llm, hid, batch)
                sec.points.append(key)
                sec.cap[key] = point[3]
                traffic = _cpu_traffic_gbs(point[3], batch, weights_gb, kv_bytes, n_in, n_out)
                if h.mem_bw_gbs > 0:
                    traffic = min(traffic, h.mem_bw_gbs)
                dc = max(point[2] - h.cpu_idle_dc_kw, 0.0) + h.dram_kw_per_gbs * traffic
                sec.dyn_kw[key] = dc * h.dyn_factor
    sec.points.sort()
    return sec


def _cpu_profile_groups(cp: pd.DataFrame) -> dict[tuple[str, str], list[tuple[int, Columns]]]:
    """The CPU profile rows per (LLM, CPU) as ``(batch, columns)`` groups, by ascending
    batch with each group's rows in their order in the frame: what
    ``cp[(cp.llm == llm) & (cp.cpu == cpu)].groupby("batch")`` yields for every (LLM, CPU),
    taken apart once as numpy arrays (a filter and a groupby per host were most of the
    time of :func:`cpu_section`)."""
    if cp.empty:
        return {}
    llm = cp["llm"].astype(str).to_numpy(object)
    cpu = cp["cpu"].astype(str).to_numpy(object)
    batch = cp["batch"].to_numpy()
    cols = _point_columns(cp)
    keys = list(zip(llm.tolist(), cpu.tolist(), batch.tolist(), strict=True))
    out: dict[tuple[str, str], list[tuple[int, Columns]]] = {}
    for (m, c, b), rows in _sorted_groups(keys):
        out.setdefault((str(m), str(c)), []).append((int(b), _take(cols, rows)))
    return out


def _precision_points(
    s: Scenario, cat: Catalog, prof: pd.DataFrame, gpus: dict[str, GpuType], file: str
) -> dict[Point, dict[str, float]]:
    """Operating points at the precisions other than ``bf16`` that each LLM allows.

    For every candidate (gpu, tp, batch) where the model fits the GPUs at precision ``q``
    (the memory rule with ``q``'s weight and KV bytes, :mod:`ecoserve_opt.perf.precision`)
    and the GPU supports ``q``: where the 16-bit profile has rows for (gpu, tp, batch), the
    16-bit operating point (:func:`_profile_point`) times the roofline's ratio between ``q``
    and 16 bit at the class's prompt length (TTFT, TPOT and power each), so measured rows
    keep their correction and only the precision effect comes from the model; elsewhere
    (configurations that only fit at ``q``, e.g. a 70B model on one 80 GB GPU at FP8) the
    roofline at ``q`` itself. Both use the calibration of the scenario's engine. Then, as
    for 16 bit: running maximum over the batch, power within [idle, TDP], online points only
    where the SLOs hold.
    """
    from ecoserve_opt.exceptions import ScenarioError
    from ecoserve_opt.perf.engines import DEFAULT_ENGINE, ENGINES
    from ecoserve_opt.perf.precision import (
        apply_precision,
        fp8_gpus,
        kv_bytes_per_token,
        supports,
        weights_gb,
    )

    wanted = {llm: [q for q in spec.precisions if q != "bf16"] for llm, spec in s.llms.items()}
    out: dict[Point, dict[str, float]] = {}
    if not any(wanted.values()):
        return out
    engine = ENGINES.get(s.profiles.engine or DEFAULT_ENGINE, ENGINES[DEFAULT_ENGINE])
    cal = engine.calibration
    llm_spec, gpu_spec = _roofline_specs(cat)
    batches = sorted(
        s.hardware.batches if s.hardware.batches is not None else prof["batch"].unique()
    )
    for llm, qs in wanted.items():
        if not qs:
            continue
        spec = s.llms[llm]
        field = f"llms.{llm}.precisions"
        base_l = llm_spec.get(llm)
        if base_l is None:
            raise ScenarioError(
                file,
                field,
                "the catalog's llms.csv lacks this model's "
                "architecture columns, needed to model other precisions",
            )
        rows = prof[prof["llm"] == llm]
        for q in qs:
            ok = sorted(g for g in gpus if supports(g, q) and g in gpu_spec)
            if not ok:
                need = (
                    f"FP8 tensor cores ({', '.join(fp8_gpus())})"
                    if q == "fp8"
                    else "the roofline columns of gpus.csv"
                )
                raise ScenarioError(
                    file,
                    field,
                    f"{q} needs {need}; none of the scenario's GPUs "
                    f"({', '.join(sorted(gpus))}) has them",
                )
            w_gb = weights_gb(base_l.weights_gb, q)
            kvb = kv_bytes_per_token(base_l.kv_bytes_per_token, q)
            for cls in CLASSES:
                dem = getattr(spec, cls)
                if dem is None:
                    continue
                n_in, n_out = dem.input_tokens, dem.output_tokens
                for gid in ok:
                    g, base_g = gpus[gid], gpu_spec[gid]
                    lq, gq = apply_precision(base_l, base_g, q)
                    for tp in sorted(set(s.hardware.tp_degrees)):
                        floor = (0.0, 0.0)
                        for b in (int(x) for x in batches):
                            mem = w_gb / tp + b * (n_in + n_out) * kvb / tp / 1e9
                            if mem > KV_MEMORY_FRACTION * g.memory_gb:
                                break  # memory only grows with the batch
                            grp = rows[
                                (rows["gpu"] == gid) & (rows["tp"] == tp) & (rows["batch"] == b)
                            ]
                            ttft, tpot, power_kw = _scaled_point(
                                grp, (base_l, base_g), (lq, gq), tp, b, n_in, n_out, cal, g.tdp_kw
                            )
                            ttft, tpot = max(ttft, floor[0]), max(tpot, floor[1])
                            floor = (ttft, tpot)
                            if cls == "online" and (ttft > dem.ttft_slo or tpot > dem.tpot_slo):
                                continue
                            out[Point(llm, gid, tp, b, cls, q)] = {
                                "cap": b * n_out / (ttft + n_out * tpot),
                                "power_kw": min(max(power_kw, g.idle_kw), g.tdp_kw),
                                "latency": ttft / n_out + tpot,
                                "ttft": ttft,
                                "tpot": tpot,
                            }
    return out


def _scaled_point(
    grp: pd.DataFrame,
    base: tuple[Any, Any],
    at_q: tuple[Any, Any],
    tp: int,
    batch: int,
    n_in: int,
    n_out: int,
    cal: Any,
    max_kw: float,
) -> tuple[float, float, float]:
    """TTFT (s), TPOT (s) and power (kW) of one (gpu, tp, batch) at another precision: the
    16-bit profile point x the roofline's ratio (q / 16 bit), or the roofline at ``q`` where
    the profile has no rows (see :func:`_precision_points`)."""
    from ecoserve_opt.perf.roofline import estimate_gpu

    e_q = estimate_gpu(at_q[0], at_q[1], tp, batch, max(1, n_in), cal=cal)
    q_vals = (e_q.ttft_ms / 1e3, e_q.tpot_ms / 1e3, e_q.power_w / 1e3)
    point = None
    if not grp.empty:
        ref = _gpu_reference(base[0], base[1], tp, batch)
        point = _profile_point(grp, n_in, n_out, batch, ref, max_kw)
    if point is None:
        return q_vals
    e16 = estimate_gpu(base[0], base[1], tp, batch, max(1, n_in), cal=cal)
    b_vals = (e16.ttft_ms / 1e3, e16.tpot_ms / 1e3, e16.power_w / 1e3)
    ttft, tpot, power_kw = (
        p * (q_ / r if r > 0 else 1.0) for p, q_, r in zip(point[:3], q_vals, b_vals, strict=True)
    )
    return ttft, tpot, power_kw

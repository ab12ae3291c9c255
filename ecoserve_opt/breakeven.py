r"""Break-even grid intensity of host-CPU Reuse (offline inference on GPU hosts' idle CPUs).

EcoServe's Reuse pillar runs offline work on the idle CPUs of GPU hosts: the CPUs' embodied
carbon is already spent, so a CPU token costs only its marginal energy (socket power above
idle plus the DIMMs' traffic power, through the host's fans and PSU):

.. math::  c^{cpu}(I) = \mathrm{PUE}\; I\; e^{cpu}

A token that would otherwise need *additional* GPU capacity costs that capacity's energy
(GPU idle + load power over the offline window, the host's static power share) and its
embodied carbon (GPU and its share of the host, amortised over the catalog lifetime):

.. math::  c^{gpu}_j(I) = E_j + \mathrm{PUE}\; I\; e_j

so CPU option :math:`c` beats GPU option :math:`j` below
:math:`I^*_{cj} = E_j / (\mathrm{PUE}\,(e^{cpu}_c - e_j))` (always, if
:math:`e^{cpu}_c \le e_j`). The break-even of an LLM is
:math:`I^* = \max_c \min_j I^*_{cj}`: below it some CPU operating point beats every GPU
option; above it none does. This is the *most favourable* case for the CPUs: offline work
that GPUs already in the fleet could absorb in their idle hours costs only GPU load power,
which is always below a CPU's (no CPU option beats it at any intensity). All numbers come
from :class:`ecoserve_opt.data.ModelData` (no solve): the scenario's embodied source,
lifetimes, PUE, offline window and lengths, the candidate GPUs and hosts (new purchases;
the host as its minimal allowed configuration), and the catalog's CPU profiles.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ecoserve_opt.data import NO_GPU, ModelData

HOURS_PER_DAY = 24.0


def _window_hours(d: ModelData, llm: str) -> float:
    return sum(d.offline_slot_hours.get((llm, s), 0.0) for s in d.slots)


def gpu_options(d: ModelData, llm: str) -> pd.DataFrame:
    """Per new GPU replica option of ``llm``'s offline work: embodied and energy per token.

    A replica of ``tp`` GPUs on host platform ``h`` serves offline tokens at its operating
    point during the window; over a day it draws its GPUs' idle power and its share of the
    host's static power (``tp / gpu_slots`` of a minimal host) for 24 h and its load power
    during the window. Columns: gpu, tp, batch, host, kg_per_token (embodied),
    kwh_per_token (at the wall, before PUE).
    """
    win = _window_hours(d, llm)
    rows: list[dict[str, Any]] = []
    if win <= 0:
        return pd.DataFrame(rows)
    for k in d.points:
        lk, g, tp, b, cls = k.llm, k.gpu, k.tp, k.batch, k.cls
        if lk != llm or cls != "offline" or g == NO_GPU:
            continue
        gpu = d.gpus[g]
        cap = d.cap[k]
        tok_day = cap * 3600.0 * win
        if tok_day <= 0:
            continue
        for h, hg in d.host_gpu:
            if hg != g:
                continue
            it = d.hosts[h]
            if it.owned or it.gpu_slots <= 0:
                continue
            share = tp / it.gpu_slots
            s_lo, m_lo, q_lo = it.sockets[0], it.dimms[0], it.ssds[0]
            host_static_kw = (
                it.base_kw + it.cpu_idle_kw * s_lo + it.dimm_kw * m_lo + it.ssd_kw * q_lo
            )
            dyn_kw = d.gpu_dyn_factor.get(g, 1.0) * (d.gpu_power_kw[k] - gpu.idle_kw)
            kwh_day = (
                HOURS_PER_DAY * (tp * it.psu_factor * gpu.idle_kw + share * host_static_kw)
                + win * tp * dyn_kw
            )
            host_emb = it.embodied_scale * (
                it.emb_base
                + it.emb_cpu * s_lo
                + it.emb_dram_gb * it.dimm_gb * m_lo
                + it.emb_ssd_tb * it.ssd_tb * q_lo
            )
            emb_year = tp * gpu.embodied_kg / gpu.lifetime + share * host_emb / it.lifetime
            rows.append(
                {
                    "gpu": g,
                    "tp": tp,
                    "batch": b,
                    "precision": k.precision,
                    "host": h,
                    "kg_per_token": emb_year / (tok_day * d.hours_per_year / HOURS_PER_DAY),
                    "kwh_per_token": kwh_day / tok_day,
                }
            )
    return pd.DataFrame(rows)


def cpu_options(d: ModelData, llm: str) -> pd.DataFrame:
    """Host-CPU operating points of ``llm`` on GPU hosts: energy per token (wall, before PUE)."""
    rows = []
    for key in d.cpu_points:
        lk, h, b = key
        if lk != llm or d.hosts[h].gpu_slots <= 0:
            continue
        rows.append(
            {
                "host": h,
                "batch": b,
                "kwh_per_token": d.cpu_dyn_kw[key] / d.cpu_cap[key] / 3600.0,
            }
        )
    return pd.DataFrame(rows)


def break_even(d: ModelData) -> pd.DataFrame:
    """Per offline LLM: the grid intensity (gCO2e/kWh) below which host-CPU Reuse pays.

    Columns: llm, break_even_g_per_kwh (``inf``: a CPU point is never dearer in energy than
    the best GPU option; ``0``: no CPU point beats any GPU option at any intensity, or no
    CPU point), cpu_host, cpu_batch, cpu_kwh_per_mtok, gpu, gpu_tp, gpu_batch, gpu_host,
    gpu_kwh_per_mtok, gpu_embodied_g_per_mtok (the GPU option that binds at the break-even),
    embodied_source, note.
    """
    out = []
    for llm in d.llms:
        if _window_hours(d, llm) <= 0:
            continue
        gpu = gpu_options(d, llm)
        cpu = cpu_options(d, llm)
        row: dict[str, object] = {"llm": llm, "embodied_source": d.scenario.embodied_source}
        if cpu.empty or gpu.empty:
            row.update(
                break_even_g_per_kwh=0.0 if cpu.empty else math.inf,
                note="no host-CPU profile" if cpu.empty else "no GPU option",
            )
            out.append(row)
            continue
        cpus = [{str(k): v for k, v in r.items()} for r in cpu.to_dict("records")]
        gpus = [{str(k): v for k, v in r.items()} for r in gpu.to_dict("records")]
        best: tuple[float, dict[str, Any], dict[str, Any]] | None = None
        for c in cpus:
            worst: tuple[float, dict[str, Any]] | None = None
            for j in gpus:
                diff = float(c["kwh_per_token"]) - float(j["kwh_per_token"])
                ci = math.inf if diff <= 0 else float(j["kg_per_token"]) / (d.pue * diff)
                if worst is None or ci < worst[0]:
                    worst = (ci, j)
            if worst is not None and (best is None or worst[0] > best[0]):
                best = (worst[0], c, worst[1])
        assert best is not None
        ci_kg, c, j = best
        row.update(
            break_even_g_per_kwh=ci_kg * 1e3,
            cpu_host=c["host"],
            cpu_batch=int(c["batch"]),
            cpu_kwh_per_mtok=float(c["kwh_per_token"]) * 1e6,
            gpu=j["gpu"],
            gpu_tp=int(j["tp"]),
            gpu_batch=int(j["batch"]),
            gpu_host=j["host"],
            gpu_kwh_per_mtok=float(j["kwh_per_token"]) * 1e6,
            gpu_embodied_g_per_mtok=float(j["kg_per_token"]) * 1e9,
            note="CPU reuse pays below this intensity when the offline work would otherwise "
            "need additional GPUs; against idle capacity of GPUs already in the fleet it "
            "never pays",
        )
        out.append(row)
    return pd.DataFrame(out)

"""Host CPU cores by use: serving GPUs, offline CPU inference (EcoServe's host-CPU Reuse),
idle. EcoServe observed ~6% average CPU utilisation on GPU inference hosts; the ``host_cpu``
table shows a design's own split per host type, year and slot."""

from __future__ import annotations

import math

import pandas as pd
import pyomo.core as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.keys import CpuServe, Deployment
from ecoserve_opt.results.checks import value as _v

HOST_CPU_COLUMNS = [
    "host",
    "owned",
    "year",
    "slot",
    "cores",
    "cores_gpu_serving",
    "cores_offline_cpu",
    "cores_idle",
]
#: Metric names of :func:`host_cpu_shares` (shares of all host cores over the horizon).
HOST_CPU_METRICS = ("host_cpu_gpu_serving", "host_cpu_offline", "host_cpu_idle")
ZERO_RATE = 1e-9


def host_cpu_table(m: pyo.ConcreteModel, d: ModelData) -> pd.DataFrame:
    """Cores per host platform, year and slot: ``cores`` deployed (sockets x cores per
    socket), ``cores_gpu_serving`` (the cores the model reserves per mounted GPU and per host,
    ``host_needs.cores_per_gpu`` / ``cores_per_host``), ``cores_offline_cpu`` (socket
    equivalents of the host-CPU offline work x cores per socket, averaged over the slot by the
    window duty) and ``cores_idle`` (the rest)."""
    hn = d.scenario.host_needs
    agg: dict[tuple[str, bool, int, int], list[float]] = {}
    for k in map(Deployment._make, m.D):
        z = _v(m.z[k])
        if z <= ZERO_RATE:
            continue
        it = d.hosts[k.host]
        cores = _v(m.sockets[k]) * it.cores_per_socket
        gpu_cores = hn.cores_per_gpu * (_v(m.gpus_on[k]) if k.gpu != NO_GPU else 0.0)
        for s in d.slots:
            row = agg.setdefault((it.platform, it.owned, k.year, s), [0.0, 0.0, 0.0])
            row[0] += cores
            row[1] += min(cores, gpu_cores + hn.cores_per_host * z)
    for kc in map(CpuServe._make, m.XC):
        val = _v(m.xc[kc])
        if val <= ZERO_RATE:
            continue
        it = d.hosts[kc.host]
        busy = d.offline_duty(kc.llm, kc.slot) * val / d.cpu_cap[kc.point] * it.cores_per_socket
        agg.setdefault((it.platform, it.owned, kc.year, kc.slot), [0.0, 0.0, 0.0])[2] += busy
    rows = [
        {
            "host": h,
            "owned": owned,
            "year": y,
            "slot": s,
            "cores": c,
            "cores_gpu_serving": gpu,
            "cores_offline_cpu": off,
            "cores_idle": max(c - gpu - off, 0.0),
        }
        for (h, owned, y, s), (c, gpu, off) in sorted(agg.items())
    ]
    return pd.DataFrame(rows, columns=HOST_CPU_COLUMNS)


def host_cpu_shares(table: pd.DataFrame | None) -> dict[str, float]:
    """Shares of all host cores (over years and slots): GPU serving, offline CPU work, idle
    (NaN for a design without hosts)."""
    if table is None or table.empty or float(table["cores"].sum()) <= 0:
        return dict.fromkeys(HOST_CPU_METRICS, math.nan)
    total = float(table["cores"].sum())
    cols = ("cores_gpu_serving", "cores_offline_cpu", "cores_idle")
    return {
        key: float(table[col].sum()) / total
        for key, col in zip(HOST_CPU_METRICS, cols, strict=True)
    }

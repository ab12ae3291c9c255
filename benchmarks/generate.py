"""Synthetic catalogs and scenarios of growing size for the scaling benchmarks.

Everything is generated (no network, no bundled data): GPU, host, LLM, GPU-profile and
CPU-profile rows in the catalog CSV format of ``docs/catalog-format.md``, plus one scenario
YAML that uses them, written to a folder (a temp dir by default).

Size drivers
------------
The serving load variables ``x[l,g,t,b,c,y,s]`` dominate the model: one per valid operating
point (LLM x GPU type x TP degree x batch x class, only where the weights and KV cache fit and,
for online points, where the SLOs hold) per planning year and time slot (offline points only
in their window slots). So the size grows with

* ``llms`` (per region) x ``regions`` -- the demand sets,
* ``gpus`` -- GPU types (half SXM, half PCIe),
* ``hosts`` -- host platforms (SXM 8-slot, PCIe 4-slot and CPU-only, in turn), which multiply
  the deployment set ``(host, gpu, lifetime, year)`` and the host-CPU offline points,
* ``slots`` (1..24 per representative day) and ``years`` (planning horizon).

Regions
-------
The formulation has one grid (one ``ci[y, s]`` profile per scenario), so a region here is an
**independent demand set**: its own LLM rows (``r<k>-llm<i>``, same architecture family as in
the other regions) whose online diurnal shape is rotated by the region's UTC offset
(``8 h x k``). Regions share the hardware pool and the grid profile; a truly multi-grid fleet
(``ci[region, y, s]``) is a formulation change outside this benchmark. For sizing, this is
the same number of variables and constraints as R coupled regional problems.

Every number is synthetic but in the range of the real catalog (``models/``): GPU memory 24 to
192 GB, 1 to 8 TB/s, 0.2 to 2 kW; LLMs of 1 to 180 B parameters; a simple roofline gives TTFT
(compute-bound prefill) and TPOT (memory-bound decode). Generation is deterministic (numpy
``default_rng(seed)``).

Usage::

    python benchmarks/generate.py --size M --out /tmp/bench-M   # writes catalog/ + scenario.yaml
    python benchmarks/generate.py --list                        # the size ladder
"""

from __future__ import annotations

import argparse
import math
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

SOURCE = "synthetic benchmark row (benchmarks/generate.py)"
START_YEAR = 2025
PROMPTS = (512, 2048)  # prompt lengths of the profile rows (interpolated by data.py)


@dataclass(frozen=True)
class Size:
    """One rung of the size ladder."""

    name: str
    llms: int  # LLMs per region
    regions: int
    gpus: int
    hosts: int
    slots: int  # time slots per representative day (divides 24)
    years: int
    tps: tuple[int, ...] = (1, 2, 4, 8)
    batches: tuple[int, ...] = (1, 8, 32, 128)
    seed: int = 0

    def label(self) -> str:
        """Short description of the dimensions."""
        return (
            f"{self.llms}x{self.regions} LLMs, {self.gpus} GPUs, {self.hosts} hosts, "
            f"{self.slots} slots, {self.years} y"
        )


# Sizes aimed at ~4k, ~16k, ~65k, ~260k and ~1M variables (the exact counts are measured).
SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size("XS", llms=2, regions=1, gpus=3, hosts=3, slots=4, years=1),
        Size("S", llms=4, regions=1, gpus=4, hosts=3, slots=24, years=2),
        Size("M", llms=4, regions=2, gpus=9, hosts=4, slots=24, years=2),
        Size("L", llms=6, regions=2, gpus=12, hosts=6, slots=24, years=5),
        Size("XL", llms=10, regions=4, gpus=12, hosts=6, slots=24, years=6),
    )
}


# ---------------------------------------------------------------------------------------------
# catalog tables


def _rows(df: pd.DataFrame) -> list[Any]:
    """Rows as namedtuples, typed loosely (the columns are the ones written here)."""
    return list(df.itertuples(index=False))


def _gpus(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i in range(n):
        ff = "sxm" if i % 2 == 0 else "pcie"
        year = 2018 + (i * 7) % 7  # 2018..2024, all buyable from START_YEAR
        mem = float([24, 40, 48, 80, 96, 141, 192][i % 7])
        bw = round(800 + 7200 * (year - 2018) / 6 * rng.uniform(0.8, 1.0), 1)
        tflops = round(100 + 1900 * (year - 2018) / 6 * rng.uniform(0.7, 1.0), 1)
        tdp = round((700 if ff == "sxm" else 350) * rng.uniform(0.6, 1.4))
        rows.append(
            {
                "gpu": f"g{i:02d}-{ff}",
                "vendor": "synthetic",
                "generation_year": year,
                "form_factor": ff,
                "memory_gb": mem,
                "mem_bw_gbs": bw,
                "fp16_tflops": tflops,
                "tdp_w": tdp,
                "idle_w": round(0.12 * tdp, 1),
                "lifetime_years": 4 + i % 3,
                "die_area_mm2": round(rng.uniform(300, 830), 1),
                "process_nm": [7, 5, 4][i % 3],
                "capex_usd": round(2000 + 25 * tflops * rng.uniform(0.8, 1.2)),
                "source": SOURCE,
            }
        )
    return pd.DataFrame(rows)


def _hosts(n: int, rng: np.random.Generator) -> pd.DataFrame:
    kinds = ("sxm", "pcie", "none")
    rows = []
    for i in range(n):
        ff = kinds[i % 3]
        ddr = "ddr5" if i % 2 == 0 else "ddr4"
        slots = {"sxm": 8, "pcie": 4, "none": 0}[ff]
        rows.append(
            {
                "host": f"h{i:02d}-{ff}",
                "cpu": f"cpu{i:02d}",
                "generation_year": 2019 + i % 5,
                "cores_per_socket": [32, 48, 64, 96][i % 4],
                "min_sockets": 1,
                "max_sockets": 2,
                "cpu_tdp_w": round(rng.uniform(200, 400)),
                "cpu_idle_w": round(rng.uniform(40, 80), 1),
                "dram_type": ddr,
                "mem_bw_gbs_per_socket": round(rng.uniform(200, 460), 1),
                "dimm_gb": 64.0 if ddr == "ddr5" else 32.0,
                "dimm_w": 23.7 if ddr == "ddr5" else 11.9,
                "min_dimms": 4,
                "max_dimms": 32 if ff == "sxm" else 24,
                "ssd_tb": 4.0,
                "ssd_w": 16.8,
                "min_ssds": 1,
                "max_ssds": 8,
                "gpu_slots": slots,
                "gpu_form_factor": ff,
                "base_w": round(rng.uniform(150, 500), 1),
                "lifetime_years": 5 + i % 2,
                "capex_base_usd": round(rng.uniform(4000, 40000)),
                "capex_cpu_usd": round(rng.uniform(3000, 12000)),
                "capex_dimm_usd": 300.0 if ddr == "ddr5" else 120.0,
                "capex_ssd_usd": 350.0,
                "source": SOURCE,
            }
        )
    return pd.DataFrame(rows)


def _embodied(gpus: pd.DataFrame, hosts: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []

    def add(kind: str, item: str, kg: float, per: str) -> None:
        for src, fac in (("act", 1.0), ("greensku", 2.0), ("boavizta", 0.6)):
            rows.append(
                {
                    "kind": kind,
                    "item": item,
                    "embodied_source": src,
                    "kgco2e": round(kg * fac, 4),
                    "per": per,
                    "method": "direct",
                    "source": SOURCE,
                }
            )

    for r in _rows(gpus):
        add("gpu", r.gpu, 20 + 0.05 * r.die_area_mm2 + 0.4 * r.memory_gb, "unit")
    for r in _rows(hosts):
        add("host_base", r.host, 300 + r.base_w, "host")
        add("cpu", r.cpu, 15 + 0.2 * r.cores_per_socket, "socket")
    for ddr, kg in (("ddr5", 0.55), ("ddr4", 0.45)):
        if ddr in set(hosts.dram_type):
            add("dram", ddr, kg, "gb")
    add("ssd", "ssd", 16.0, "tb")
    return pd.DataFrame(rows)


_FAMILY = (  # params_b, n_layers, d_model, n_kv_heads, head_dim
    (1.0, 16, 2048, 8, 64),
    (3.0, 28, 3072, 8, 128),
    (7.0, 32, 4096, 8, 128),
    (13.0, 40, 5120, 8, 128),
    (34.0, 48, 8192, 8, 128),
    (70.0, 80, 8192, 8, 128),
    (8.0, 32, 4096, 8, 128),
    (180.0, 80, 14336, 8, 128),
)


def _llms(n: int, regions: int) -> pd.DataFrame:
    rows = []
    for r in range(regions):
        for i in range(n):
            p, layers, d, kvh, hd = _FAMILY[i % len(_FAMILY)]
            kv = 2 * layers * kvh * hd * 2  # K and V, fp16
            rows.append(
                {
                    "llm": f"r{r}-llm{i:02d}",
                    "family": f"synthetic-{i % len(_FAMILY)}",
                    "params_b": p,
                    "active_params_b": p,
                    "n_layers": layers,
                    "d_model": d,
                    "n_kv_heads": kvh,
                    "head_dim": hd,
                    "bytes_per_param": 2,
                    "weights_gb": round(2 * p, 3),
                    "kv_bytes_per_token": kv,
                    "source": SOURCE,
                }
            )
    return pd.DataFrame(rows)


def _profiles(llms: pd.DataFrame, gpus: pd.DataFrame, size: Size) -> pd.DataFrame:
    """Roofline-style GPU serving profiles for every (llm, gpu, tp, batch, prompt)."""
    rows = []
    for lm in _rows(llms):
        for g in _rows(gpus):
            for tp in size.tps:
                if lm.weights_gb / tp > 0.9 * g.memory_gb:
                    continue
                comm_ms = 0.0 if tp == 1 else 0.3 * math.log2(tp)
                for b in size.batches:
                    for prompt in PROMPTS:
                        ctx = prompt + 256
                        bytes_step = lm.weights_gb * 1e9 + b * ctx * lm.kv_bytes_per_token
                        tpot = bytes_step / (tp * g.mem_bw_gbs * 1e9 * 0.7) * 1e3 + comm_ms
                        flops = 2 * lm.active_params_b * 1e9 * prompt * b
                        ttft = flops / (tp * g.fp16_tflops * 1e12 * 0.5) * 1e3 + tpot
                        util = min(1.0, 0.35 + 0.12 * math.log2(b))
                        power = g.idle_w + (g.tdp_w - g.idle_w) * util
                        rows.append(
                            {
                                "llm": lm.llm,
                                "gpu": g.gpu,
                                "tp": tp,
                                "batch": b,
                                "prompt_tokens": prompt,
                                "ttft_ms": round(ttft, 4),
                                "tpot_ms": round(tpot, 4),
                                "power_w": round(power, 2),
                                "method": "roofline",
                                "source": SOURCE,
                            }
                        )
    return pd.DataFrame(rows)


def _cpu_profiles(llms: pd.DataFrame, hosts: pd.DataFrame) -> pd.DataFrame:
    """Per-socket CPU profiles for the LLMs up to 13 B parameters."""
    rows = []
    for lm in _rows(llms):
        if lm.params_b > 13:
            continue
        for h in _rows(hosts):
            for b in (1, 4):
                for prompt in PROMPTS:
                    tpot = lm.weights_gb / (0.6 * h.mem_bw_gbs_per_socket) * 1e3
                    flops = 2 * lm.params_b * 1e9 * prompt * b
                    ttft = flops / (h.cores_per_socket * 2e10) * 1e3 + tpot
                    rows.append(
                        {
                            "llm": lm.llm,
                            "cpu": h.cpu,
                            "batch": b,
                            "prompt_tokens": prompt,
                            "ttft_ms": round(ttft, 3),
                            "tpot_ms": round(tpot * (1 + 0.05 * b), 3),
                            "power_w": round(0.8 * h.cpu_tdp_w, 1),
                            "method": "roofline",
                            "source": SOURCE,
                        }
                    )
    return pd.DataFrame(rows)


def _host_components() -> pd.DataFrame:
    """Reused DRAM/SSD power of the synthetic catalog: GreenSKU's figures (11.85 W per
    32 GB DDR4, 5.6 W per 1 TB SSD, no CXL controller), so that recorded benchmark results
    stay comparable across versions."""
    rows = [
        ("dimm", "ddr4-32gb", 11.85),
        ("cxl_controller", "default", 0.0),
        ("ssd", "reused-1tb", 5.6),
    ]
    return pd.DataFrame(
        [
            {
                "component": c,
                "variant": v,
                "unit": "W",
                **dict.fromkeys(("idle", "max", "idle_lo", "idle_hi", "max_lo", "max_hi"), w),
                "load_driver": "none",
                "source": SOURCE,
            }
            for c, v, w in rows
        ]
    )


def write_catalog(size: Size, folder: Path) -> Path:
    """Write the synthetic catalog CSVs for ``size`` into ``folder`` (created)."""
    rng = np.random.default_rng(size.seed)
    folder.mkdir(parents=True, exist_ok=True)
    gpus = _gpus(size.gpus, rng)
    hosts = _hosts(size.hosts, rng)
    llms = _llms(size.llms, size.regions)
    tables = {
        "gpus": gpus,
        "hosts": hosts,
        "embodied": _embodied(gpus, hosts),
        "llms": llms,
        "profiles": _profiles(llms, gpus, size),
        "cpu_profiles": _cpu_profiles(llms, hosts),
        "host_components": _host_components(),
    }
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _diurnal(offset_h: int) -> list[float]:
    """The workload module's default shape (cosine, peak 14:00) rotated by ``offset_h``."""
    h = np.arange(24)
    shape = 1 + 0.35 * np.cos(2 * np.pi * (h - 14 - offset_h) / 24)
    return [round(float(v), 6) for v in shape]


def scenario_dict(size: Size, catalog: str = "catalog") -> dict[str, Any]:
    """The scenario (as a dict) that uses the catalog written by :func:`write_catalog`."""
    llms_df = _llms(size.llms, size.regions)
    gpus_df = _gpus(size.gpus, np.random.default_rng(size.seed))
    llms: dict[str, Any] = {}
    for k, lm in enumerate(_rows(llms_df)):
        region = k // size.llms
        scale = 2.0e4 / max(lm.params_b, 1.0) ** 0.5  # bigger models get less traffic
        windows = ((0, 24), (22, 6), (8, 20), (0, 12))
        llms[lm.llm] = {
            "online": {
                "tokens_per_s": round(scale, 1),
                "input_tokens": 1024,
                "output_tokens": 256,
                "ttft_slo": "4 s",
                "tpot_slo": "120 ms",
                "diurnal": _diurnal(8 * region),
            },
            "offline": {
                "tokens_per_day": round(scale * 3600 * 6, -3),
                "input_tokens": 1536,
                "output_tokens": 512,
                "window": list(windows[k % len(windows)]),
            },
        }
    hosts = [f"h{i:02d}-{['sxm', 'pcie', 'none'][i % 3]}" for i in range(size.hosts)]
    gpus = list(gpus_df.gpu)
    return {
        "name": f"bench-{size.name}",
        "description": f"synthetic benchmark scenario {size.name}: {size.label()}",
        "catalog": catalog,
        "horizon": f"{size.years} years",
        "start_year": START_YEAR,
        "time_slots": size.slots,
        "grid": {"intensity": "350 gCO2e/kWh", "hourly_shape": "solar", "pue": 1.15},
        "llms": llms,
        "hardware": {
            "gpus": gpus,
            "hosts": hosts,
            "tp_degrees": list(size.tps),
            "batches": list(size.batches),
        },
        "inventory": {
            "gpus": [{"gpu": gpus[0], "count": 64, "age_years": 2}],
            "hosts": [{"host": hosts[0], "count": 8, "age_years": 2}],
            "dram_gb": 4096,
            "ssd_tb": 64,
        },
        "solver": {"mip_rel_gap": 0.01, "threads": 1},
    }


def write_scenario(
    size: Size, folder: Path | None = None, overrides: dict[str, Any] | None = None
) -> Path:
    """Write ``catalog/`` and ``scenario.yaml`` for ``size``; returns the scenario path.

    ``overrides`` are dot-path changes of the scenario (``{"pillars.recycle": False}``).
    """
    from ecoserve_opt.io.yaml_loader import set_dot_path

    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix=f"ecoserve-bench-{size.name}-"))
    folder.mkdir(parents=True, exist_ok=True)
    write_catalog(size, folder / "catalog")
    data = scenario_dict(size)
    for key, value in (overrides or {}).items():
        set_dot_path(data, key, value)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def get_size(name: str, **changes: Any) -> Size:
    """A named size, optionally with fields changed (``slots=8``)."""
    return replace(SIZES[name], **changes)


def main(argv: list[str] | None = None) -> int:
    """CLI: write one size's scenario, or list the ladder."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="S", choices=list(SIZES))
    ap.add_argument("--out", type=Path, default=None, help="folder (default: a temp dir)")
    ap.add_argument("--slots", type=int, default=None, help="override time slots")
    ap.add_argument("--list", action="store_true", help="print the size ladder and exit")
    a = ap.parse_args(argv)
    if a.list:
        for s in SIZES.values():
            print(f"{s.name:3s} {s.label()}  {asdict(s)}")
        return 0
    size = get_size(a.size, **({"slots": a.slots} if a.slots else {}))
    print(write_scenario(size, a.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

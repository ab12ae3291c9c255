"""Human-readable catalog tables (key figures with their sources) for ``ecoserve catalog``."""

from __future__ import annotations

import pandas as pd

from ecoserve_opt.catalog import Catalog


def catalog_tables(cat: Catalog, source: str = "act") -> dict[str, pd.DataFrame]:
    """GPUs, hosts and LLMs with key figures, embodied carbon from ``source``, and sources."""
    emb = cat.embodied.xs(source, level="embodied_source")["kgco2e"]
    g = cat.gpus.reset_index()
    g["embodied_kg"] = [emb.get(("gpu", x), float("nan")) for x in g["gpu"]]
    gcols = [
        "gpu",
        "generation_year",
        "form_factor",
        "memory_gb",
        "tdp_w",
        "idle_w",
        "lifetime_years",
        "embodied_kg",
        "source",
    ]
    h = cat.hosts.reset_index()
    h["embodied_base_kg"] = [emb.get(("host_base", x), float("nan")) for x in h["host"]]
    h["embodied_cpu_kg"] = [emb.get(("cpu", x), float("nan")) for x in h["cpu"]]
    hcols = [
        "host",
        "cpu",
        "generation_year",
        "cores_per_socket",
        "max_sockets",
        "gpu_slots",
        "dimm_gb",
        "min_dimms",
        "max_dimms",
        "ssd_tb",
        "max_ssds",
        "embodied_base_kg",
        "embodied_cpu_kg",
        "source",
    ]
    llm = cat.llms.reset_index()
    lcols = [
        c
        for c in [
            "llm",
            "params_b",
            "active_params_b",
            "weights_gb",
            "kv_bytes_per_token",
            "source",
        ]
        if c in llm.columns
    ]
    prof = cat.profiles.reset_index()
    counts = prof.groupby(["llm", "method"] if "method" in prof.columns else ["llm"]).size()
    p = counts.rename("rows").reset_index()
    return {
        "gpus": g[[c for c in gcols if c in g.columns]],
        "hosts": h[[c for c in hcols if c in h.columns]],
        "llms": llm[lcols],
        "profiles": p,
        "embodied": cat.embodied.reset_index(),
    }

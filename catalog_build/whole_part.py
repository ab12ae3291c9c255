"""Whole-part LCA embodied rows (``embodied_source = lca``) for DRAM, SSDs and host bases.

Used when a scenario sets ``host_embodied_method: whole_part`` (docs/data.md). DRAM and SSD
figures come from ``specs/embodied_whole_part.csv`` (vendor product carbon footprints and
LCA syntheses, each with its source); a host base is BoaviztAPI's whole-part model (case,
motherboard, PSUs, assembly), so its ``lca`` row repeats the ``boavizta`` figure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

WHOLE_PART_SPEC = Path(__file__).resolve().parent / "specs" / "embodied_whole_part.csv"


def whole_part_rows(
    rows: list[dict[str, Any]], make_row: Callable[..., dict[str, Any]]
) -> list[dict[str, Any]]:
    """``lca`` rows built with ``make_row(kind, item, source, kg, per, method, note)``."""
    spec: list[dict[Any, Any]] = pd.read_csv(WHOLE_PART_SPEC).to_dict("records")
    out = [
        make_row(r["kind"], r["item"], "lca", float(r["kgco2e"]), r["per"], "direct", r["source"])
        for r in spec
    ]
    for r in rows:
        if r["kind"] == "host_base" and r["embodied_source"] == "boavizta":
            note = f"whole-part LCA = the boavizta row: {r['source']}"
            out.append(
                make_row("host_base", r["item"], "lca", r["kgco2e"], "host", r["method"], note)
            )
    return out

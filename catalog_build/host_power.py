"""Host component power: the build half (check the sourced spec table, write ``hosts.csv``
power columns, compare with GreenSKU's nameplate model).

The model (:mod:`ecoserve_opt.catalog.host_power`, at run time) describes the physics; this
module reads ``catalog_build/specs/host_components.csv``, checks every row (a source, each
value inside its own public range) and turns it into the power columns of one host of
``models/hosts.csv``. :func:`greensku_crosscheck` compares each idle figure with GreenSKU's own
model (nameplate x SPEC derate at 10 % load).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from catalog_build import SPECS_DIR
from ecoserve_opt.catalog.host_power import (
    CHANNEL_GBS,
    DIMM_VARIANT,
    SPEC_NAME,
    ComponentPower,
    spec,
)

SPEC = SPECS_DIR / "host_components.csv"
COLUMNS = [
    "component",
    "variant",
    "unit",
    "idle",
    "max",
    "idle_lo",
    "idle_hi",
    "max_lo",
    "max_hi",
    "load_driver",
    "source",
]


def load_specs(path: str | Path = SPEC) -> pd.DataFrame:
    """Read and check the spec table (indexed by component, variant).

    Raises ``ValueError`` naming the file, row and column when a value is missing, a row has
    no source, or a value lies outside its own public range.
    """
    path = Path(path)
    df = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: column '{missing[0]}' is missing")
    for i, r in df.iterrows():
        where = f"{path}: row {int(str(i)) + 2} ({r['component']} {r['variant']})"
        if not str(r["source"]).strip() or pd.isna(r["source"]):
            raise ValueError(f"{where}.source: every row needs a source")
        for c in COLUMNS[3:9]:
            if pd.isna(r[c]):
                raise ValueError(f"{where}.{c}: value is missing")
        if not r["idle_lo"] <= r["idle"] <= r["idle_hi"]:
            raise ValueError(f"{where}.idle: {r['idle']} outside [idle_lo, idle_hi]")
        if not r["max_lo"] <= r["max"] <= r["max_hi"]:
            raise ValueError(f"{where}.max: {r['max']} outside [max_lo, max_hi]")
        if r["idle"] > r["max"]:
            raise ValueError(f"{where}.idle: idle power above max power")
    return df.set_index(["component", "variant"])


def _fan(df: pd.DataFrame, rack_units: int) -> tuple[ComponentPower, float, str]:
    """Fan row and multiplier for a chassis height (hosts taller than 2U scale 2U by RU/2)."""
    if rack_units <= 1:
        return spec(df, "fan", "1u"), 1.0, "fan 1u"
    k = max(1.0, rack_units / 2.0)
    note = "fan 2u" if k == 1.0 else f"fan 2u x {k:g} ({rack_units}U / 2U, derived)"
    return spec(df, "fan", "2u"), k, note


def host_columns(
    df: pd.DataFrame, dram_type: str, ssd_tb: int, rack_units: int, cpu_tdp_w: float
) -> tuple[dict[str, float], list[tuple[list[str], str]]]:
    """The power columns of one ``hosts.csv`` row and their ``[columns] source`` groups."""
    dimm = spec(df, "dimm", DIMM_VARIANT[dram_type])
    ssd = spec(df, "ssd", f"e1s-{ssd_tb}tb")
    nic = spec(df, "nic", "100g")
    board = spec(df, "board", "default")
    fan, k, fan_note = _fan(df, rack_units)
    cpu_frac = spec(df, "factor", "cpu_idle_frac").idle
    cols = {
        "cpu_idle_w": round(cpu_tdp_w * cpu_frac, 2),
        "dimm_w": dimm.idle,
        "dimm_max_w": dimm.max,
        "ssd_w": ssd.idle,
        "ssd_max_w": ssd.max,
        "nic_w": nic.idle,
        "fan_idle_w": round(fan.idle * k, 2),
        "board_w": board.idle,
        "base_w": round(board.idle + nic.idle + fan.idle * k, 2),
        "dram_w_per_gbs": round((dimm.max - dimm.idle) / CHANNEL_GBS[dram_type], 5),
        "fan_w_per_w": spec(df, "factor", "fan_w_per_w").idle,
        "psu_loss_frac": spec(df, "factor", "psu_loss_frac").idle,
    }
    ref = f"{SPEC_NAME}"
    groups = [
        (["cpu_idle_w"], f"TDP x cpu_idle_frac {cpu_frac:g} ({ref} factor cpu_idle_frac)"),
        (["dimm_w", "dimm_max_w"], f"{ref} dimm {dimm.variant} idle / max"),
        (
            ["dram_w_per_gbs"],
            f"(dimm max - idle) / one {dram_type.upper()} channel "
            f"{CHANNEL_GBS[dram_type]:g} GB/s ({ref})",
        ),
        (["ssd_w", "ssd_max_w"], f"{ref} ssd {ssd.variant} active idle / max"),
        (["nic_w"], f"{ref} nic 100g idle"),
        (["fan_idle_w"], f"{ref} {fan_note} idle"),
        (["board_w"], f"{ref} board"),
        (["base_w"], "board_w + nic_w + fan_idle_w"),
        (["fan_w_per_w", "psu_loss_frac"], f"{ref} factors fan_w_per_w, psu_loss_frac"),
    ]
    return cols, groups


def greensku_crosscheck(shared_dir: str | Path, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """GreenSKU's model for each host component next to the values used here.

    GreenSKU charges nameplate x SPEC derate(load) (its ``spec_derates``; 10 % is its lowest
    point). One row per component: nameplate, GreenSKU at 10 % and 100 % load, the idle and
    max used here and the public idle range.
    """
    import yaml

    df = load_specs() if df is None else df
    gs = Path(shared_dir) / "embodied" / "greensku"

    def y(name: str) -> Any:
        return yaml.safe_load((gs / name).read_text(encoding="utf-8"))

    def w(text: str) -> float:
        return float(str(text).rstrip("W"))

    dram, ssd, nic, srv = y("DRAM.yaml"), y("SSD.yaml"), y("NIC.yaml"), y("server.yaml")
    der = dram["DDR5"]["spec_derates"]
    plate = {
        ("dimm", "ddr5-64gb"): w(dram["DDR5"]["frequencies"][0]["sizes"][0]["power"]),
        ("dimm", "ddr4-32gb"): w(dram["DDR4"]["frequencies"][0]["sizes"][0]["power"]),
        ("ssd", "e1s-2tb"): w(ssd[0]["sizes"][0]["power"]),
        ("ssd", "e1s-4tb"): w(ssd[0]["sizes"][1]["power"]),
        ("nic", "100g"): w(nic["bandwidths"][0]["power"]),
        ("fan", "1u"): w(srv[0]["items"]["fan"]["power"]),
        ("fan", "2u"): w(srv[1]["items"]["fan"]["power"]),
    }
    rows = []
    for (comp, var), p in plate.items():
        s = spec(df, comp, var)
        rows.append(
            {
                "component": comp,
                "variant": var,
                "greensku_nameplate_w": p,
                "greensku_10pct_w": round(p * float(der[10]), 2),
                "greensku_100pct_w": round(p * float(der[100]), 2),
                "idle_used_w": s.idle,
                "max_used_w": s.max,
                "public_idle_range_w": f"{s.idle_lo:g}-{s.idle_hi:g}",
            }
        )
    return pd.DataFrame(rows)

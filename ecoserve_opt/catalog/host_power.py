r"""Host component power as a function of load, from one sourced spec table.

``specs/host_components.csv`` gives every host component (DIMM, SSD, NIC, board, fans, CXL
controller) an *idle* power (in service, no load) and a *max* power (full load), each with
the public range it was taken from, the load that drives it and a ``source``. It also holds
three factors: the fans' share of dynamic power (``fan_w_per_w``), the PSU loss
(``psu_loss_frac``) and the CPU idle fraction of TDP (``cpu_idle_frac``).

Power of a component at load :math:`u \in [0, 1]` is linear between the two points,

.. math::  P(u) = P^{idle} + (P^{max} - P^{idle})\,u,

and what drives :math:`u` in the model is:

* CPU sockets: cores busy (the CPU serving profiles' socket power above idle);
* DIMMs: memory traffic. Per GB/s the DIMM dynamic power is
  :math:`(P^{max} - P^{idle}) / B_{channel}` (W per GB/s, ``dram_w_per_gbs``); CPU inference
  reads its weights once per decode step, so its traffic is known per token;
* fans: :math:`P^{fan} = P^{fan,idle} + s \sum P^{dyn}` with the GPU and CPU dynamic power;
* PSU: a loss of ``psu_loss_frac`` on every DC watt of the host and its GPUs;
* SSDs and NICs: no load the model knows (serving reads nothing from local drives once the
  weights are staged, and tokens are a few kB/s), so they are charged their active-idle power.

No component is charged its nameplate power at idle. :func:`greensku_crosscheck` compares
each idle figure with GreenSKU's own model (nameplate x SPEC derate at 10 % load).
The builder (:mod:`ecoserve_opt.catalog.build_hardware`) writes the table to
``models/host_components.csv`` and the per-host columns into ``models/hosts.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

SPEC = Path(__file__).resolve().parent / "specs" / "host_components.csv"
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
DIMM_VARIANT = {"ddr5": "ddr5-64gb", "ddr4": "ddr4-32gb"}
# Peak bandwidth of one channel at 1 DIMM per channel (DDR5-4800, DDR4-3200), GB/s.
CHANNEL_GBS = {"ddr5": 4800 * 8 / 1000.0, "ddr4": 3200 * 8 / 1000.0}
REUSED_DIMM = "ddr4-32gb"  # GreenSKU reuses DDR4 behind CXL controllers
REUSED_SSD = "reused-1tb"
DIMMS_PER_CXL = 8  # GreenSKU CXL_controller.yaml: 4 channels x 2 DIMMs per channel
SPEC_NAME = "host_components.csv"


@dataclass(frozen=True)
class ComponentPower:
    """One row of the spec table: power at idle and at full load, with public ranges."""

    component: str
    variant: str
    idle: float
    max: float
    idle_lo: float
    idle_hi: float
    max_lo: float
    max_hi: float
    source: str

    def power(self, load: float) -> float:
        """Power (the row's unit) at ``load`` in [0, 1] (clipped), linear idle -> max."""
        u = min(max(float(load), 0.0), 1.0)
        return self.idle + (self.max - self.idle) * u


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


def spec(df: pd.DataFrame, component: str, variant: str) -> ComponentPower:
    """The row ``(component, variant)`` as a :class:`ComponentPower`."""
    try:
        r: Any = df.loc[(component, variant)]
    except KeyError:
        raise KeyError(f"no '{component}' '{variant}' row in {SPEC_NAME}") from None
    return ComponentPower(
        component=component,
        variant=variant,
        source=str(r["source"]),
        **{c: float(r[c]) for c in ("idle", "max", "idle_lo", "idle_hi", "max_lo", "max_hi")},
    )


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


def reused_power_kw(df: pd.DataFrame) -> tuple[float, float, str]:
    """(kW per GB of reused DRAM, kW per TB of reused SSD, source text) from the table.

    Reused DDR4 sits behind CXL controllers (GreenSKU): per GB it costs the DIMM's idle
    power plus an eighth of a controller, over the DIMM's capacity.
    """
    dimm = spec(df, "dimm", REUSED_DIMM)
    cxl = spec(df, "cxl_controller", "default")
    ssd = spec(df, "ssd", REUSED_SSD)
    gb = _capacity(REUSED_DIMM, "gb")
    tb = _capacity(REUSED_SSD, "tb")
    dram = (dimm.idle + cxl.idle / DIMMS_PER_CXL) / gb / 1e3
    note = (
        f"{SPEC_NAME}: reused DRAM = (dimm {REUSED_DIMM} idle {dimm.idle:g} W + cxl_controller "
        f"{cxl.idle:g} W / {DIMMS_PER_CXL}) / {gb:g} GB; reused SSD = ssd {REUSED_SSD} "
        f"idle {ssd.idle:g} W / {tb:g} TB"
    )
    return dram, ssd.idle / tb / 1e3, note


def _capacity(variant: str, unit: str) -> float:
    """Capacity in ``unit`` parsed from a variant name such as ``ddr4-32gb``/``reused-1tb``."""
    tail = variant.rsplit("-", 1)[-1]
    if not tail.endswith(unit):
        raise ValueError(f"variant '{variant}' does not end in a capacity in {unit}")
    return float(tail[: -len(unit)])


def host_power_w(host: dict[str, Any], load: dict[str, float] | None = None) -> dict[str, float]:
    """Wall power (W) of one fully built host of ``hosts.csv`` by component, at ``load``.

    ``load`` keys (all default 0): ``cpu`` (share of cores busy), ``dram`` (share of the
    memory bandwidth in use), ``ssd`` and ``nic`` (I/O share), ``gpu_dyn_w`` (DC power of the
    host's GPUs above their idle). Every host column missing from ``host`` counts as 0.
    Returns DC power per component plus ``fans`` (idle + share of dynamic power), ``psu``
    (loss) and ``total``; each component's idle value is what the optimisation charges.
    """
    ld = {"cpu": 0.0, "dram": 0.0, "ssd": 0.0, "nic": 0.0, "gpu_dyn_w": 0.0, **(load or {})}

    def g(col: str) -> float:
        v = host.get(col, 0.0)
        return 0.0 if v is None or pd.isna(v) else float(v)

    sockets, dimms, ssds = g("max_sockets"), g("max_dimms"), g("max_ssds")
    cpu_idle = g("cpu_idle_w") * sockets
    cpu = cpu_idle + (g("cpu_tdp_w") - g("cpu_idle_w")) * sockets * min(max(ld["cpu"], 0), 1)
    traffic = g("mem_bw_gbs_per_socket") * sockets * min(max(ld["dram"], 0.0), 1.0)
    dram = g("dimm_w") * dimms + g("dram_w_per_gbs") * traffic
    ssd_max = g("ssd_max_w") or g("ssd_w")
    ssd = (g("ssd_w") + (ssd_max - g("ssd_w")) * min(max(ld["ssd"], 0.0), 1.0)) * ssds
    nic = g("nic_w")
    dyn = (cpu - cpu_idle) + (dram - g("dimm_w") * dimms) + ld["gpu_dyn_w"]
    fans = g("fan_idle_w") + g("fan_w_per_w") * dyn
    out = {
        "cpu": cpu,
        "dram": dram,
        "ssd": ssd,
        "nic": nic,
        "board": g("board_w"),
        "fans": fans,
        "gpu_dyn": ld["gpu_dyn_w"],
    }
    dc = sum(out.values())
    out["psu"] = g("psu_loss_frac") * dc
    out["total"] = dc + out["psu"]
    return out


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


__all__ = [
    "ComponentPower",
    "greensku_crosscheck",
    "host_columns",
    "host_power_w",
    "load_specs",
    "reused_power_kw",
    "spec",
]

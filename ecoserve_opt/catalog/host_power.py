r"""Host component power as a function of load, from one sourced spec table.

``host_components.csv`` gives every host component (DIMM, SSD, NIC, board, fans, CXL
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

No component is charged its nameplate power at idle. The table is typed, with its sources, in
``catalog_build/specs/host_components.csv``; the offline catalog build
(``catalog_build/host_power.py``) checks it, writes it to ``models/host_components.csv`` and
the per-host columns into ``models/hosts.csv``. This module holds what the model and the
reports use at run time: one row as a :class:`ComponentPower`, the power of reused DRAM and
SSDs, and the wall power of a host by component.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

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


__all__ = [
    "ComponentPower",
    "host_power_w",
    "reused_power_kw",
    "spec",
]

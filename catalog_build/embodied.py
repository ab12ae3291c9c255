r"""Embodied carbon of every catalog item under three sources (``embodied.csv``).

Every source implements one interface, :class:`EmbodiedSource` (``gpu``, ``cpu``, ``dram``,
``ssd``, ``host_base``, each returning an :class:`Embodied` figure with its method and
note); :func:`build_embodied` iterates over the items of the spec tables and, for each, over
the sources (``act``, ``greensku``, ``boavizta``), then appends the whole-part LCA rows.

Embodied carbon, three sources (``embodied_source``)
----------------------------------------------------
**act** -- the ACT model (Gupta et al., ISCA 2022; parameters from ``embodied/act``):

.. math::

    C_\text{logic} = \sum_\text{dies} A_\text{die}\,
        \frac{CI_\text{fab}\cdot EPA_\text{node} + GPA_\text{node} + MPA_\text{node}}{Y}
        + n_\text{IC}\cdot C_\text{pkg}

with die area :math:`A` in cm2, fab energy per area :math:`EPA` (``logic_epa.yaml``), fab
grid intensity :math:`CI_\text{fab}` (``carbon_intensity_location.yaml``, which points to the
2022 table; Taiwan for TSMC, Korea for Samsung, USA for Intel and GlobalFoundries), gas per
area :math:`GPA` (ACT's default 97 % abatement = mean of ``logic_gpa_95`` and
``logic_gpa_99``), materials per area :math:`MPA` (``logic_materials.yaml``), yield
:math:`Y = 0.875` and :math:`C_\text{pkg} = 150` g per IC package (both ACT's defaults,
``act/core/common.py`` of facebookresearch/ACT). Memory and storage:
:math:`C = \text{GB}\cdot E_\text{DRAM}` (``dram_dram_hynix.yaml``, ``ddr4_10nm``, the
newest DRAM entry, used for DDR5, HBM and GDDR too) plus package carbon per DRAM IC, and
:math:`C = \text{GB}\cdot E_\text{SSD}` (``ssd_ssd_seagate.yaml``, ``seagate_nytro_3530``).
ACT has no chassis model: ``host_base`` uses ACT's materials model (steel kg/kg) for an assumed
chassis metal mass, its PCB model (kg per m2 per layer) and the logic model for the NIC ASIC.
A GPU under ACT is its silicon only (die, memory, packages): no board, heatsink or transport.

**greensku** -- the GreenSKU server model (``embodied/greensku``): CPU carbon per package
(``CPU.yaml``), DDR5 per DIMM (``DRAM.yaml``, Dell LCA) divided by DIMM size, SSD per drive
(``SSD.yaml``, Seagate Nytro 3530 report) divided by capacity, ``server.yaml`` + ``NIC.yaml``
for ``host_base``. Derived rows (``method=derived``): GreenSKU treats reused DDR4 and SSDs as
zero-carbon; a *new* DDR4 DIMM is given the DDR5 per-GB figure (reuse is a decision of the
model, not a catalog number). CPUs GreenSKU does not list use its Genoa per-area carbon
(30.7 kg over the assumed 10 CCD x 72 mm2 + 397 mm2 IOD of its 80-core part, i.e. ACT 5 nm
applied to all silicon) times the CPU's silicon area. GPUs, which GreenSKU does not cover,
are die area x that per-area carbon + memory GB x the DDR5 per-GB figure. Chassis taller
than 2U scale the 2U lump (server + fan) by rack units / 2.

**boavizta** -- factors of the installed ``boaviztapi`` package, read at build time from its
data files (``factors.yml``, ``crowdsourcing/*.csv``, ``archetypes/components/*.csv``) located
with :mod:`importlib.resources`. Nothing of boaviztapi (AGPL-3.0) is copied into the repository:
only the computed kgCO2e per item. Formulas (BoaviztAPI's component models):

- GPU: casing kg x f_casing + heatsink kg x f_heatsink + PWB cm2 x f_pwb + die mm2 x f_gpu
  + VRAM effective wafer area x f_vram + mass x (f_upstream + km_boat x f_boat +
  km_truck x f_truck + km_plane x f_plane + f_eol); specs from ``gpu_specs.csv``
  (missing masses from the GPU archetype);
- CPU: die mm2 x die_impact + impact (``cpu_specs.csv`` ``total_die_size``);
- RAM/SSD module: capacity / mean density x die_impact + impact, divided by capacity;
- host_base: rack case + motherboard + PSU kg x f_psu x n_PSU + assembly + NIC.

Items boavizta lacks are derived with its own factors (``method=derived``): the A10G from the
A10 row, Bergamo and Ice Lake CPUs from their public die areas, the NIC as a 200 mm2 ASIC
with the CPU die formula.
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.resources
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pandas as pd
import yaml

from catalog_build.shared import Shared, _qty, _round
from catalog_build.specs import CpuSpec, DimmSpec, GpuSpec, HostSpec, Specs, load_specs
from catalog_build.whole_part import whole_part_rows

NIC_ASIC_MM2 = 200.0  # host NIC ASIC (ConnectX-class), assumption
NIC_ASIC_NODE = ("14nm", "taiwan")
NIC_SOURCE = "NIC ASIC ~200 mm2 at 16 nm-class (ACT 14nm), assumption"
PCB_LAYERS = 12  # server motherboard / baseboard layer count, assumption

# ---------------------------------------------------------------------------------------------
# ACT
# ---------------------------------------------------------------------------------------------

ACT_YIELD = 0.875
ACT_PKG_KG = 0.150
ACT_CODE_SOURCE = "facebookresearch/ACT act/core/common.py (yield 0.875, 150 g per IC package)"


class Act:
    """ACT's logic, DRAM, SSD, materials and PCB models, from the ACT yaml files."""

    def __init__(self, shared: Shared) -> None:
        self.epa = {k: _qty(v) for k, v in shared.act_table("logic_epa").items()}
        g95 = {k: _qty(v) for k, v in shared.act_table("logic_gpa_95").items()}
        g99 = {k: _qty(v) for k, v in shared.act_table("logic_gpa_99").items()}
        self.gpa = {k: (g95[k] + g99[k]) / 2.0 for k in g95}
        self.mpa = {k: _qty(v) for k, v in shared.act_table("logic_materials").items()}
        self.ci_file = shared.act_ci_file()
        self.ci = {k: _qty(v) for k, v in shared.act_table(self.ci_file).items()}
        self.dram_g_per_gb = _qty(shared.act_table("dram_dram_hynix")["ddr4_10nm"])
        self.ssd_g_per_gb = _qty(shared.act_table("ssd_ssd_seagate")["seagate_nytro_3530"])
        mats = shared.act_table("materials_materials")["materials"]
        self.steel_kg_per_kg = _qty(mats["steel"])
        self.pcb_kg_per_m2_layer = _qty(shared.act_table("materials_pcb")["cpla"])

    def cpa_kg_per_cm2(self, node: str, loc: str) -> float:
        """Carbon per cm2 of good die: (CI x EPA + GPA + MPA) / yield, in kg."""
        g = self.ci[loc] * self.epa[node] + self.gpa[node] + self.mpa[node]
        return g / ACT_YIELD / 1000.0

    def logic_kg(self, dies: Iterable[tuple[int, float, str, str]], n_ics: int) -> float:
        area = sum(n * mm2 / 100.0 * self.cpa_kg_per_cm2(node, loc) for n, mm2, node, loc in dies)
        return area + n_ics * ACT_PKG_KG

    def files(self) -> str:
        return (
            f"ACT logic_epa.yaml, logic_gpa_95/99.yaml (97% mean), logic_materials.yaml, "
            f"{self.ci_file}.yaml; {ACT_CODE_SOURCE}"
        )


_KERF_MM = 0.2
_WAFER_D_MM = 300.0
_VRAM_MM2_PER_GB = 15.5


def _effective_wafer_area(die_mm2: float) -> float:
    """BoaviztAPI's effective wafer area of a die: kerf, edge loss and yield exp(-sqrt(A D0))."""
    width = math.sqrt(die_mm2) + _KERF_MM
    a = width * width
    wafer = math.pi * (_WAFER_D_MM / 2) ** 2
    n = wafer / a - math.pi * _WAFER_D_MM / math.sqrt(2 * a)
    effective = a * wafer / (n * a)
    usable = math.exp(-math.sqrt(a / 100 * 0.1))
    return effective / usable


class Boavizta:
    """Embodied GWP of components with the installed boaviztapi's factors."""

    def __init__(self) -> None:
        root = importlib.resources.files("boaviztapi") / "data"
        self.version = importlib.metadata.version("boaviztapi")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.factors = yaml.load((root / "factors.yml").read_text(encoding="utf-8"), Loader=loader)
        self.gpu_specs = self._csv(root / "crowdsourcing" / "gpu_specs.csv")
        self.cpu_specs = self._csv(root / "crowdsourcing" / "cpu_specs.csv")
        self.ram = self._csv(root / "crowdsourcing" / "ram_manufacture.csv")
        self.ssd = self._csv(root / "crowdsourcing" / "ssd_manufacture.csv")
        arch = root / "archetypes" / "components"
        self.gpu_arch = self._csv(arch / "gpu.csv")[0]
        self.psu_arch = self._csv(arch / "power_supply.csv")[0]
        self.tag = f"boaviztapi {self.version} factors (read at build time)"

    @staticmethod
    def _csv(res: Any) -> list[dict[str, str]]:
        with res.open("r", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def _g(self, comp: str, phase: str = "manufacture") -> float:
        return float(self.factors["gpu"][comp][phase]["gwp"]["impact"])

    def _arch(self, key: str) -> float:
        return float(str(self.gpu_arch[key]).split(";")[0])

    def gpu_kg(self, name: str) -> float:
        rows = [r for r in self.gpu_specs if r["name"] == name]
        if not rows:
            raise KeyError(f"{name!r} not in boaviztapi gpu_specs.csv")
        r = rows[0]

        def val(col: str, arch_key: str) -> float:
            return float(r[col]) if r[col] not in ("", None) else self._arch(arch_key)

        mass = val("mass", "weight")
        vram, dies = float(r["vram"]), float(r["number"])
        vram_area = _effective_wafer_area(vram * _VRAM_MM2_PER_GB / dies) * dies
        total = (
            self._g("casing") * val("mass_casing", "casing_weight")
            + self._g("heatsink") * val("mass_heatsink", "heatsink_weight")
            + self._g("pwb") * val("pwb_surface", "pwb_surface")
            + self._g("gpu") * float(r["die_surface"])
            + self._g("vram") * vram_area
            + self._g("upstream_transport") * mass
            + self._g("transport_boat", "distribution") * float(r["distance_boat"]) * mass
            + self._g("transport_truck", "distribution") * float(r["distance_truck"]) * mass
            + self._g("transport_plane", "distribution") * float(r["distance_plane"]) * mass
            + self._g("end_of_life", "eol") * mass
        )
        return total  # one card (gpu_specs "unit" is not used by BoaviztAPI's GPU model)

    def _item(self, item: str) -> dict[str, float]:
        return self.factors[item]["gwp"]

    def cpu_die_mm2(self, name: str) -> float:
        for r in self.cpu_specs:
            if r["name"] == name and r["total_die_size"]:
                return float(r["total_die_size"])
        raise KeyError(f"{name!r} has no total_die_size in boaviztapi cpu_specs.csv")

    def cpu_kg(self, die_mm2: float) -> float:
        f = self._item("cpu")
        return die_mm2 * float(f["die_impact"]) + float(f["impact"])

    def ram_kg_per_gb(self, module_gb: float) -> float:
        density = sum(float(r["density"]) for r in self.ram) / len(self.ram)
        f = self._item("ram")
        return (module_gb / density * float(f["die_impact"]) + float(f["impact"])) / module_gb

    def ssd_kg_per_tb(self, drive_tb: float) -> float:
        density = sum(float(r["density"]) for r in self.ssd) / len(self.ssd)
        f = self._item("ssd")
        gb = drive_tb * 1000.0
        return (gb / density * float(f["die_impact"]) + float(f["impact"])) / drive_tb

    def host_base_kg(self, n_psu: int) -> tuple[float, float]:
        """(rack case + motherboard + PSUs + assembly, NIC derived as a 200 mm2 ASIC)."""
        psu_kg = float(str(self.psu_arch["unit_weight"]).split(";")[0])
        base = (
            float(self.factors["case"]["gwp"]["rack"]["impact"])
            + float(self._item("motherboard")["impact"])
            + float(self._item("power_supply")["impact"]) * psu_kg * n_psu
            + float(self._item("assembly")["impact"])
        )
        return base, self.cpu_kg(NIC_ASIC_MM2)


# ---------------------------------------------------------------------------------------------
# One interface, three sources
# ---------------------------------------------------------------------------------------------

#: Drive size whose figures stand for the per-TB SSD row (GreenSKU SSD.yaml E1.S 4 TB).
SSD_REFERENCE_TB = 4
#: ``per`` unit of each item kind in ``embodied.csv``.
PER = {"gpu": "unit", "cpu": "socket", "dram": "gb", "ssd": "tb", "host_base": "host"}


@dataclass(frozen=True)
class Embodied:
    """Embodied kgCO2e of one item (per its ``per`` unit), how it was obtained and from what."""

    kg: float
    method: str  # "direct" (the source's own figure) or "derived" (the documented method)
    note: str  # the ``source`` text of the row


@runtime_checkable
class EmbodiedSource(Protocol):
    """An embodied-carbon source: one figure per catalog item (``embodied_source = name``)."""

    name: str

    def gpu(self, g: GpuSpec) -> Embodied:
        """One GPU card (``per = unit``)."""
        ...

    def cpu(self, c: CpuSpec) -> Embodied:
        """One CPU package (``per = socket``)."""
        ...

    def dram(self, d: DimmSpec) -> Embodied:
        """DRAM of one type, per GB (``per = gb``)."""
        ...

    def ssd(self, drive_tb: int) -> Embodied:
        """SSD storage per TB, from a ``drive_tb`` drive (``per = tb``)."""
        ...

    def host_base(self, h: HostSpec) -> Embodied:
        """Chassis, motherboard, PSUs, fans and NIC of one host (``per = host``)."""
        ...


class ActSource:
    """ACT (Gupta et al., ISCA 2022): fab energy, gases and materials per die area."""

    name = "act"

    def __init__(self, shared: Shared) -> None:
        self.act = Act(shared)
        self.nic_kg = self.act.logic_kg([(1, NIC_ASIC_MM2, *NIC_ASIC_NODE)], n_ics=1)

    def gpu(self, g: GpuSpec) -> Embodied:
        act = self.act
        n_ics = 1 + g.mem_packages
        kg = (
            act.logic_kg([(1, g.die_area_mm2, g.act_node, g.fab_location)], n_ics=n_ics)
            + g.memory_gb * act.dram_g_per_gb / 1000.0
        )
        return Embodied(
            kg,
            "direct",
            f"ACT: die {g.die_area_mm2:g} mm2 at {g.act_node} (fab {g.fab_location}) + "
            f"{g.memory_gb:g} GB x {act.dram_g_per_gb:g} g/GB (dram_dram_hynix.yaml "
            f"ddr4_10nm, newest ACT DRAM, used for HBM/GDDR) + {n_ics} IC packages; "
            f"silicon only (no board, heatsink, transport); {act.files()}; "
            f"die: {g.die_source}",
        )

    def cpu(self, c: CpuSpec) -> Embodied:
        dies_txt = " + ".join(f"{n} x {mm2:g} mm2 {node} ({loc})" for n, mm2, node, loc in c.dies)
        return Embodied(
            self.act.logic_kg(c.dies, n_ics=1),
            "direct",
            f"ACT: {dies_txt}, 1 package; {self.act.files()}; die: {c.die_source}",
        )

    def dram(self, d: DimmSpec) -> Embodied:
        act = self.act
        gb = float(d.greensku_size.rstrip("GB"))
        kg = act.dram_g_per_gb / 1000.0 + d.ics_per_dimm * ACT_PKG_KG / gb
        return Embodied(
            kg,
            "direct",
            f"ACT dram_dram_hynix.yaml ddr4_10nm {act.dram_g_per_gb:g} g/GB (newest ACT "
            f"DRAM entry) + {d.ics_per_dimm} IC packages x 150 g per {gb:g} GB RDIMM "
            f"({d.ics_source}); {ACT_CODE_SOURCE}",
        )

    def ssd(self, drive_tb: int) -> Embodied:
        g = self.act.ssd_g_per_gb
        return Embodied(
            g, "direct", f"ACT ssd_ssd_seagate.yaml seagate_nytro_3530 {g:g} g/GB"
        )  # g/GB = kg/TB

    def host_base(self, h: HostSpec) -> Embodied:
        act = self.act
        steel = h.chassis_metal_kg * act.steel_kg_per_kg
        pcb = h.pcb_m2 * PCB_LAYERS * act.pcb_kg_per_m2_layer
        return Embodied(
            steel + pcb + self.nic_kg,
            "derived",
            f"ACT has no chassis model: {h.chassis_metal_kg:g} kg chassis/PSU metal "
            f"(assumption, {h.rack_units}U) x steel {act.steel_kg_per_kg:g} kg/kg "
            f"(materials_materials.yaml) + {h.pcb_m2:g} m2 x {PCB_LAYERS} layers x "
            f"{act.pcb_kg_per_m2_layer:g} kg/m2/layer (materials_pcb.yaml cpla; area and "
            f"layers assumption) + NIC ({NIC_SOURCE}; ACT logic model)",
        )


class GreenSkuSource:
    """GreenSKU's server model; items it does not list get its implied per-area figure."""

    name = "greensku"

    def __init__(self, shared: Shared, reference_dimm: DimmSpec) -> None:
        self.shared = shared
        # GreenSKU implied carbon per cm2 of silicon, from its 80-core Genoa (ACT 5 nm).
        genoa = shared.greensku_cpu("genoa")
        ccds = int(genoa["cores"]) // 8
        self.kg_per_cm2 = float(genoa["kg"]) / ((ccds * 72.0 + 397.0) / 100.0)
        self.per_cm2_note = (
            f"GreenSKU CPU.yaml Genoa {genoa['cores']:g}-core {genoa['kg']:g} kg over an "
            f"assumed {ccds} x 72 + 397 mm2 = {self.kg_per_cm2:.4f} kg/cm2 (its ACT 5 nm)"
        )
        ddr5 = shared.dimm(reference_dimm.greensku_generation, reference_dimm.greensku_size)
        self.dram_kg_per_gb = ddr5["kg"] / ddr5["gb"]
        self.dram_note = (
            f"GreenSKU DRAM.yaml DDR5 {ddr5['gb']:g}GB {ddr5['kg']:g} kg (Dell LCA) = "
            f"{self.dram_kg_per_gb:.4f} kg/GB"
        )
        self.nic = shared.nic_item()

    def gpu(self, g: GpuSpec) -> Embodied:
        kg = g.die_area_mm2 / 100.0 * self.kg_per_cm2 + g.memory_gb * self.dram_kg_per_gb
        return Embodied(
            kg,
            "derived",
            f"GreenSKU has no GPU: die {g.die_area_mm2:g} mm2 x {self.per_cm2_note} + "
            f"{g.memory_gb:g} GB x {self.dram_note} applied to HBM/GDDR; no board",
        )

    def cpu(self, c: CpuSpec) -> Embodied:
        try:
            gs = self.shared.greensku_cpu(c.cpu)
        except KeyError:
            gs = None
        if gs is not None and int(gs["cores"]) == c.cores:
            return Embodied(
                float(gs["kg"]),
                "direct",
                f"GreenSKU CPU.yaml {c.cpu.capitalize()} {gs['cores']:g}-core carbon",
            )
        why = (
            f"GreenSKU lists a {gs['cores']:g}-core part; scaled to {c.cores} cores' silicon"
            if gs is not None
            else "GreenSKU does not list this CPU"
        )
        area_mm2 = sum(n * mm2 for n, mm2, _, _ in c.dies)
        return Embodied(
            area_mm2 / 100.0 * self.kg_per_cm2,
            "derived",
            f"{why}: {area_mm2:g} mm2 silicon x {self.per_cm2_note}; die: {c.die_source}",
        )

    def dram(self, d: DimmSpec) -> Embodied:
        dimm = self.shared.dimm(d.greensku_generation, d.greensku_size)
        if dimm["kg"] > 0:
            return Embodied(
                dimm["kg"] / dimm["gb"],
                "direct",
                f"GreenSKU DRAM.yaml {d.greensku_generation} {dimm['gb']:g}GB "
                f"{dimm['kg']:g} kg per DIMM (Dell LCA) / {dimm['gb']:g} GB",
            )
        return Embodied(
            self.dram_kg_per_gb,
            "derived",
            f"GreenSKU DRAM.yaml gives reused {d.greensku_generation} 0 kg "
            f"(reuse credit); a new DIMM is given {self.dram_note}",
        )

    def ssd(self, drive_tb: int) -> Embodied:
        drive = self.shared.ssd_drive(drive_tb)
        return Embodied(
            drive["kg"] / drive_tb,
            "direct",
            f"GreenSKU SSD.yaml E1.S {drive_tb}TB {drive['kg']:g} kg per drive (Seagate Nytro "
            f"3530 report) / {drive_tb} TB",
        )

    def host_base(self, h: HostSpec) -> Embodied:
        nic = self.nic
        if h.rack_units <= 2:
            srv = self.shared.server_items(h.rack_units)
            return Embodied(
                srv["server_kg"] + srv["fan_kg"] + nic["kg"],
                "direct",
                f"GreenSKU server.yaml Server-{h.rack_units}U server {srv['server_kg']:g} "
                f"+ fan {srv['fan_kg']:g} + NIC.yaml {nic['bw']} {nic['kg']:g} kg",
            )
        srv = self.shared.server_items(2)
        k = h.rack_units / 2
        return Embodied(
            k * (srv["server_kg"] + srv["fan_kg"]) + nic["kg"],
            "derived",
            f"GreenSKU has 1U/2U servers only: Server-2U (server {srv['server_kg']:g} + "
            f"fan {srv['fan_kg']:g}) x {k:g} for a {h.rack_units}U chassis "
            f"(assumption) + NIC.yaml {nic['bw']} {nic['kg']:g} kg",
        )


class BoaviztaSource:
    """BoaviztAPI's component models with the installed ``boaviztapi`` factors."""

    name = "boavizta"

    def __init__(self, boa: Boavizta | None = None) -> None:
        self.boa = boa or Boavizta()

    def gpu(self, g: GpuSpec) -> Embodied:
        boa = self.boa
        return Embodied(
            boa.gpu_kg(g.boavizta_name),
            "derived" if g.boavizta_derived else "direct",
            f"{boa.tag}: gpu_specs.csv '{g.boavizta_name}' with factors.yml gpu "
            f"(casing, heatsink, pwb, die, vram, transport, end of life)"
            + (f"; derived: {g.boavizta_derived}" if g.boavizta_derived else ""),
        )

    def cpu(self, c: CpuSpec) -> Embodied:
        boa = self.boa
        if c.boavizta_name:
            die = boa.cpu_die_mm2(c.boavizta_name)
            return Embodied(
                boa.cpu_kg(die),
                "direct",
                f"{boa.tag}: cpu_specs.csv '{c.boavizta_name}' total_die_size {die:g} mm2 "
                f"x cpu die_impact + impact",
            )
        area_mm2 = sum(n * mm2 for n, mm2, _, _ in c.dies)
        return Embodied(
            boa.cpu_kg(area_mm2),
            "derived",
            f"{boa.tag}: cpu_specs.csv has no die size for {c.model}; public "
            f"{area_mm2:g} mm2 ({c.die_source}) x cpu die_impact + impact",
        )

    def dram(self, d: DimmSpec) -> Embodied:
        gb = float(d.greensku_size.rstrip("GB"))
        return Embodied(
            self.boa.ram_kg_per_gb(gb),
            "direct",
            f"{self.boa.tag}: ram die_impact x {gb:g} GB / mean density of "
            f"ram_manufacture.csv + impact per module, / {gb:g} GB",
        )

    def ssd(self, drive_tb: int) -> Embodied:
        return Embodied(
            self.boa.ssd_kg_per_tb(drive_tb),
            "direct",
            f"{self.boa.tag}: ssd die_impact x {drive_tb} TB / mean density of "
            f"ssd_manufacture.csv + impact per drive, / {drive_tb} TB",
        )

    def host_base(self, h: HostSpec) -> Embodied:
        base, nic = self.boa.host_base_kg(h.n_psu)
        return Embodied(
            base + nic,
            "derived",
            f"{self.boa.tag}: rack case + motherboard + {h.n_psu} PSU x archetype unit weight x "
            f"power_supply factor + assembly; boaviztapi has no NIC: {NIC_SOURCE} with its "
            f"cpu die formula (derived)",
        )


def default_sources(
    shared: Shared, specs: Specs, boa: Boavizta | None = None
) -> list[EmbodiedSource]:
    """The three sources of ``embodied.csv``, in the order of its rows."""
    return [ActSource(shared), GreenSkuSource(shared, specs.dimms["ddr5"]), BoaviztaSource(boa)]


def _row(kind: str, item: str, src: str, kg: float, per: str, method: str, note: str) -> dict:
    if method == "derived" and "derived" not in note:
        note = f"derived: {note}"
    return {
        "kind": kind,
        "item": item,
        "embodied_source": src,
        "kgco2e": _round(kg),
        "per": per,
        "method": method,
        "source": note,
    }


def build_embodied(
    shared: Shared | None,
    boa: Boavizta | None = None,
    specs: Specs | None = None,
    sources: Sequence[EmbodiedSource] | None = None,
) -> pd.DataFrame:
    """embodied.csv: every GPU, CPU, DRAM type, SSD and host base under every source.

    Rows go item by item (GPUs, CPUs, DRAM types, the SSD, host bases), each item once per
    source in ``sources`` (default :func:`default_sources`: act, greensku, boavizta), then the
    whole-part LCA rows.
    """
    spec = specs or load_specs()
    if sources is None:
        if shared is None:
            raise ValueError("build_embodied needs the shared data folder for its default sources")
        sources = default_sources(shared, spec, boa)
    srcs = list(sources)
    # (kind = the EmbodiedSource method, item name, its spec)
    items: list[tuple[str, str, Any]] = []
    items += [("gpu", g.gpu, g) for g in spec.gpus.values()]
    items += [("cpu", c.cpu, c) for c in spec.cpus.values()]
    items += [("dram", k, d) for k, d in spec.dimms.items()]
    items += [("ssd", "ssd", SSD_REFERENCE_TB)]
    items += [("host_base", h.host, h) for h in spec.hosts.values()]
    rows: list[dict] = []
    for kind, item, arg in items:
        for src in srcs:
            e: Embodied = getattr(src, kind)(arg)
            rows.append(_row(kind, item, src.name, e.kg, PER[kind], e.method, e.note))
    rows.extend(whole_part_rows(rows, _row))
    return pd.DataFrame(rows)

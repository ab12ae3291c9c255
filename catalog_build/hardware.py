r"""Build the hardware, embodied-carbon and grid tables of the bundled catalog (``models/``).

Run from the repository root::

    python -m ecoserve_opt.catalog.build_hardware [--shared DIR] [--out models]

``--shared`` defaults to ``../shared/data`` relative to the repository root, ``--out`` to
``models`` in the repository root. The builder is deterministic: re-running it on the same
inputs reproduces the shipped CSVs byte for byte (a test checks this).

Outputs (format: ``docs/catalog-format.md``): ``gpus.csv``, ``hosts.csv``, ``embodied.csv``,
``grid_regions.csv``, ``grid_countries.csv`` and ``licenses/`` (plain copies of the licence
files of the converted sources).

Public spec numbers (TDP, memory, bandwidth, TFLOPs, die area, node, launch year, rough price)
are typed below as constants; every row's ``source`` names, per group of columns, where each
number comes from (``[col,col] reference; [col] reference``).

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

import argparse
import csv
import importlib.metadata
import importlib.resources
import json
import math
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from catalog_build import DEFAULT_OUT, default_shared_dir, host_power
from catalog_build.specs import Specs, load_specs
from catalog_build.whole_part import whole_part_rows

GPU_LIFETIME_SOURCE = "assumption, EcoServe/industry practice 4-6 y"
GPU_LIFETIME_YEARS = 5

# power columns written in place (the others are appended before ``source``)
HOST_POWER_IN_PLACE = ("cpu_idle_w", "dimm_w", "ssd_w", "base_w")
NIC_ASIC_MM2 = 200.0  # host NIC ASIC (ConnectX-class), assumption
NIC_ASIC_NODE = ("14nm", "taiwan")
NIC_SOURCE = "NIC ASIC ~200 mm2 at 16 nm-class (ACT 14nm), assumption"
PCB_LAYERS = 12  # server motherboard / baseboard layer count, assumption

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _src(*groups: tuple[Iterable[str], str]) -> str:
    """Format ``[col,col] reference; [col] reference``."""
    return "; ".join(f"[{','.join(cols)}] {text}" for cols, text in groups)


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _qty(text: str | float | int) -> float:
    """Number of an ACT quantity string such as ``'2.750 kWh / cm2'``, ``'65 g / GB'``."""
    if isinstance(text, int | float):
        return float(text)
    return float(str(text).split()[0])


def _watts(text: str) -> float:
    return float(str(text).rstrip("W"))


def _round(x: float, nd: int = 4) -> float:
    return float(round(x, nd))


# ---------------------------------------------------------------------------------------------
# Shared-data readers
# ---------------------------------------------------------------------------------------------


class Shared:
    """Read-only access to the shared field data folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not (self.root / "embodied").is_dir():
            raise FileNotFoundError(f"shared data folder not found or incomplete: {self.root}")
        self.gs = self.root / "embodied" / "greensku"
        self.act = self.root / "embodied" / "act"
        self.splitwise = _load_yaml(self.root / "perf" / "splitwise_power_constant.yaml")
        self.params = _load_yaml(self.gs / "params.yaml")
        self.cpu_yaml = _load_yaml(self.gs / "CPU.yaml")
        self.dram = _load_yaml(self.gs / "DRAM.yaml")
        self.ssd = _load_yaml(self.gs / "SSD.yaml")
        self.nic = _load_yaml(self.gs / "NIC.yaml")
        self.server = _load_yaml(self.gs / "server.yaml")

    # --- GreenSKU ------------------------------------------------------------------------
    def dimm(self, gen: str, size: str) -> dict[str, Any]:
        for freq in self.dram[gen]["frequencies"]:
            for s in freq["sizes"]:
                if s["size"] == size:
                    return {
                        "gb": float(size.rstrip("GB")),
                        "w": _watts(s["power"]),
                        "kg": float(s["carbon"]),
                        "freq": freq["frequency"],
                    }
        raise KeyError(f"{gen} {size} not in GreenSKU DRAM.yaml")

    def ssd_drive(self, tb: int) -> dict[str, float]:
        for form in self.ssd:
            for s in form["sizes"]:
                if s["size"] == f"{tb}TB":
                    return {"w": _watts(s["power"]), "kg": float(s["carbon"])}
        raise KeyError(f"{tb} TB not in GreenSKU SSD.yaml")

    def greensku_cpu(self, name: str) -> dict[str, float]:
        for vendor in self.cpu_yaml:
            for t in vendor["types"]:
                if t["type"].lower() == name:
                    cc = t["core_counts"][0]
                    return {"cores": cc["count"], "w": _watts(cc["power"]), "kg": cc["carbon"]}
        raise KeyError(name)

    def cpu_derate(self, pct: int) -> float:
        return float(self.cpu_yaml[0]["spec_derates"][pct])

    def server_items(self, rack_units: int) -> dict[str, float]:
        name = "Server-1U" if rack_units == 1 else "Server-2U"
        for s in self.server:
            if s["type"] == name:
                it = s["items"]
                return {
                    "server_kg": float(it["server"]["carbon"]),
                    "server_w": _watts(it["server"]["power"]),
                    "fan_kg": float(it["fan"]["carbon"]),
                    "fan_w": _watts(it["fan"]["power"]),
                }
        raise KeyError(name)

    def nic_item(self) -> dict[str, float]:
        b = self.nic["bandwidths"][0]
        return {"kg": float(b["carbon"]), "w": _watts(b["power"]), "bw": b["bandwidth"]}

    # --- ACT -----------------------------------------------------------------------------
    def act_table(self, name: str) -> dict[str, Any]:
        return _load_yaml(self.act / f"{name}.yaml")

    def act_ci_file(self) -> str:
        """ACT's default location table: ``carbon_intensity_location.yaml`` names the file."""
        pointer = (self.act / "carbon_intensity_location.yaml").read_text().strip()
        return "carbon_intensity_" + pointer.removesuffix(".yaml")


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


# ---------------------------------------------------------------------------------------------
# boaviztapi (AGPL-3.0): read its data files at build time, never copy them
# ---------------------------------------------------------------------------------------------

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
            + self._g("pwb") * float(r["pwb_surface"])
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
# Tables
# ---------------------------------------------------------------------------------------------


def build_gpus(shared: Shared, specs: Specs | None = None) -> pd.DataFrame:
    """gpus.csv: one row per GPU SKU."""
    gpus = (specs or load_specs()).gpus
    idle = shared.splitwise["idle_power"]
    rows = []
    for g in gpus.values():
        if g.gpu in idle:
            idle_w = float(idle[g.gpu])
            idle_src = "splitwise-sim configs/power_model (measured idle)"
        elif g.gpu == "a100-40gb":
            idle_w = float(idle["a100-80gb"])
            idle_src = "splitwise-sim measured A100 idle (63 W, same GA100 die and TDP)"
        else:
            ref = g.idle_ref
            frac = float(idle[ref]) / gpus[ref].tdp_w
            idle_w = _round(g.tdp_w * frac, 2)
            idle_src = (
                f"TDP x {frac:.4f} = splitwise-sim measured idle/TDP of {ref} "
                f"(closest measured generation), derived"
            )
        rows.append(
            {
                "gpu": g.gpu,
                "vendor": g.vendor,
                "generation_year": g.generation_year,
                "form_factor": g.form_factor,
                "architecture": g.architecture,
                "memory_gb": g.memory_gb,
                "mem_bw_gbs": g.mem_bw_gbs,
                "fp16_tflops": g.fp16_tflops,
                "tdp_w": g.tdp_w,
                "idle_w": idle_w,
                "lifetime_years": GPU_LIFETIME_YEARS,
                "die_area_mm2": g.die_area_mm2,
                "process_nm": g.process_nm,
                "capex_usd": g.capex_usd,
                "source": _src(
                    (
                        ["generation_year", "memory_gb", "mem_bw_gbs", "fp16_tflops", "tdp_w"],
                        g.datasheet,
                    ),
                    (["idle_w"], idle_src),
                    (["lifetime_years"], GPU_LIFETIME_SOURCE),
                    (["die_area_mm2", "process_nm"], g.die_source),
                    (["capex_usd"], g.capex_source),
                    (["architecture"], g.architecture_source),
                ),
            }
        )
    return pd.DataFrame(rows)


def build_hosts(
    shared: Shared, specs: Specs | None = None, power_specs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """hosts.csv: one row per host SKU (component power from ``host_power``'s spec table)."""
    spec = specs or load_specs()
    power_specs = host_power.load_specs() if power_specs is None else power_specs
    months = int(shared.params["lifetime"])
    host_life = months // 12 if months % 12 == 0 else months / 12
    rows = []
    for h in spec.hosts.values():
        c = spec.cpus[h.cpu]
        dt = spec.dimms[c.dram_type]
        ssd = spec.ssds[h.ssd_tb]
        dimm = shared.dimm(dt.greensku_generation, dt.greensku_size)
        power, power_src = host_power.host_columns(
            power_specs, c.dram_type, h.ssd_tb, h.rack_units, c.tdp_w
        )
        mem_bw = c.channels * c.mts * 8 / 1000.0
        cpu_model = c.spec_source.split("(")[0].strip()
        rows.append(
            {
                "host": h.host,
                "cpu": h.cpu,
                "generation_year": c.generation_year,
                "cores_per_socket": c.cores,
                "min_sockets": h.min_sockets,
                "max_sockets": h.max_sockets,
                "cpu_tdp_w": c.tdp_w,
                "cpu_idle_w": power["cpu_idle_w"],
                "dram_type": c.dram_type,
                "mem_bw_gbs_per_socket": _round(mem_bw, 3),
                "dimm_gb": dimm["gb"],
                "dimm_w": power["dimm_w"],
                "min_dimms": h.min_dimms,
                "max_dimms": h.max_dimms,
                "ssd_tb": h.ssd_tb,
                "ssd_w": power["ssd_w"],
                "min_ssds": h.min_ssds,
                "max_ssds": h.max_ssds,
                "gpu_slots": h.gpu_slots,
                "gpu_form_factor": h.gpu_form_factor,
                "gpu_architectures": h.gpu_architectures,
                "base_w": power["base_w"],
                "lifetime_years": host_life,
                "capex_base_usd": h.capex_base_usd,
                "capex_cpu_usd": c.price_usd,
                "capex_dimm_usd": dt.capex_usd,
                "capex_ssd_usd": ssd.capex_usd,
                **{k: v for k, v in power.items() if k not in HOST_POWER_IN_PLACE},
                "source": _src(
                    (["generation_year", "cores_per_socket", "cpu_tdp_w"], c.spec_source),
                    (
                        ["mem_bw_gbs_per_socket"],
                        f"{c.channels} channels x {c.mts} MT/s x 8 B ({cpu_model})",
                    ),
                    (
                        ["dimm_gb"],
                        f"GreenSKU DRAM.yaml {dt.greensku_generation} "
                        f"{dt.greensku_size} ({dimm['freq']})",
                    ),
                    (["ssd_tb"], f"GreenSKU SSD.yaml E1.S {h.ssd_tb}TB"),
                    (
                        [
                            "min_sockets",
                            "max_sockets",
                            "min_dimms",
                            "max_dimms",
                            "min_ssds",
                            "max_ssds",
                            "gpu_slots",
                        ],
                        h.config_source,
                    ),
                    *power_src,
                    (["lifetime_years"], f"GreenSKU params.yaml lifetime {months} months"),
                    (["capex_base_usd"], h.capex_base_source),
                    (["capex_cpu_usd"], c.price_source),
                    *_price_groups(dt.price_source, ssd.price_source),
                    (["gpu_architectures"], h.architectures_source),
                ),
            }
        )
    return pd.DataFrame(rows)


def _price_groups(dimm_src: str, ssd_src: str) -> list[tuple[list[str], str]]:
    """Source groups of the DIMM and SSD prices (one group when both share a source)."""
    if dimm_src == ssd_src:
        return [(["capex_dimm_usd", "capex_ssd_usd"], dimm_src)]
    return [(["capex_dimm_usd"], dimm_src), (["capex_ssd_usd"], ssd_src)]


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
    shared: Shared, boa: Boavizta | None = None, specs: Specs | None = None
) -> pd.DataFrame:
    """embodied.csv: every GPU, CPU, DRAM type, SSD and host base under act/greensku/boavizta."""
    spec = specs or load_specs()
    act = Act(shared)
    boa = boa or Boavizta()
    rows: list[dict] = []

    # GreenSKU implied carbon per cm2 of silicon, from its 80-core Genoa (ACT 5 nm).
    gs_genoa = shared.greensku_cpu("genoa")
    gs_genoa_ccds = int(gs_genoa["cores"]) // 8
    gs_genoa_cm2 = (gs_genoa_ccds * 72.0 + 397.0) / 100.0
    gs_kg_per_cm2 = float(gs_genoa["kg"]) / gs_genoa_cm2
    gs_per_cm2_note = (
        f"GreenSKU CPU.yaml Genoa {gs_genoa['cores']:g}-core {gs_genoa['kg']:g} kg over an "
        f"assumed {gs_genoa_ccds} x 72 + 397 mm2 = {gs_kg_per_cm2:.4f} kg/cm2 (its ACT 5 nm)"
    )
    ddr5 = shared.dimm(spec.dimms["ddr5"].greensku_generation, spec.dimms["ddr5"].greensku_size)
    gs_dram_kg_per_gb = ddr5["kg"] / ddr5["gb"]
    gs_dram_note = (
        f"GreenSKU DRAM.yaml DDR5 {ddr5['gb']:g}GB {ddr5['kg']:g} kg (Dell LCA) = "
        f"{gs_dram_kg_per_gb:.4f} kg/GB"
    )

    # --- GPUs ---
    for g in spec.gpus.values():
        n_ics = 1 + g.mem_packages
        act_kg = (
            act.logic_kg([(1, g.die_area_mm2, g.act_node, g.fab_location)], n_ics=n_ics)
            + g.memory_gb * act.dram_g_per_gb / 1000.0
        )
        rows.append(
            _row(
                "gpu",
                g.gpu,
                "act",
                act_kg,
                "unit",
                "direct",
                f"ACT: die {g.die_area_mm2:g} mm2 at {g.act_node} (fab {g.fab_location}) + "
                f"{g.memory_gb:g} GB x {act.dram_g_per_gb:g} g/GB (dram_dram_hynix.yaml "
                f"ddr4_10nm, newest ACT DRAM, used for HBM/GDDR) + {n_ics} IC packages; "
                f"silicon only (no board, heatsink, transport); {act.files()}; "
                f"die: {g.die_source}",
            )
        )
        gs_kg = g.die_area_mm2 / 100.0 * gs_kg_per_cm2 + g.memory_gb * gs_dram_kg_per_gb
        rows.append(
            _row(
                "gpu",
                g.gpu,
                "greensku",
                gs_kg,
                "unit",
                "derived",
                f"GreenSKU has no GPU: die {g.die_area_mm2:g} mm2 x {gs_per_cm2_note} + "
                f"{g.memory_gb:g} GB x {gs_dram_note} applied to HBM/GDDR; no board",
            )
        )
        boa_kg = boa.gpu_kg(g.boavizta_name)
        rows.append(
            _row(
                "gpu",
                g.gpu,
                "boavizta",
                boa_kg,
                "unit",
                "derived" if g.boavizta_derived else "direct",
                f"{boa.tag}: gpu_specs.csv '{g.boavizta_name}' with factors.yml gpu "
                f"(casing, heatsink, pwb, die, vram, transport, end of life)"
                + (f"; derived: {g.boavizta_derived}" if g.boavizta_derived else ""),
            )
        )

    # --- CPUs (per socket) ---
    for c in spec.cpus.values():
        area_mm2 = sum(n * mm2 for n, mm2, _, _ in c.dies)
        dies_txt = " + ".join(f"{n} x {mm2:g} mm2 {node} ({loc})" for n, mm2, node, loc in c.dies)
        rows.append(
            _row(
                "cpu",
                c.cpu,
                "act",
                act.logic_kg(c.dies, n_ics=1),
                "socket",
                "direct",
                f"ACT: {dies_txt}, 1 package; {act.files()}; die: {c.die_source}",
            )
        )
        try:
            gs = shared.greensku_cpu(c.cpu)
        except KeyError:
            gs = None
        if gs is not None and int(gs["cores"]) == c.cores:
            rows.append(
                _row(
                    "cpu",
                    c.cpu,
                    "greensku",
                    float(gs["kg"]),
                    "socket",
                    "direct",
                    f"GreenSKU CPU.yaml {c.cpu.capitalize()} {gs['cores']:g}-core carbon",
                )
            )
        else:
            why = (
                f"GreenSKU lists a {gs['cores']:g}-core part; scaled to {c.cores} cores' silicon"
                if gs is not None
                else "GreenSKU does not list this CPU"
            )
            rows.append(
                _row(
                    "cpu",
                    c.cpu,
                    "greensku",
                    area_mm2 / 100.0 * gs_kg_per_cm2,
                    "socket",
                    "derived",
                    f"{why}: {area_mm2:g} mm2 silicon x {gs_per_cm2_note}; die: {c.die_source}",
                )
            )
        if c.boavizta_name:
            die = boa.cpu_die_mm2(c.boavizta_name)
            rows.append(
                _row(
                    "cpu",
                    c.cpu,
                    "boavizta",
                    boa.cpu_kg(die),
                    "socket",
                    "direct",
                    f"{boa.tag}: cpu_specs.csv '{c.boavizta_name}' total_die_size {die:g} mm2 "
                    f"x cpu die_impact + impact",
                )
            )
        else:
            rows.append(
                _row(
                    "cpu",
                    c.cpu,
                    "boavizta",
                    boa.cpu_kg(area_mm2),
                    "socket",
                    "derived",
                    f"{boa.tag}: cpu_specs.csv has no die size for {c.model}; public "
                    f"{area_mm2:g} mm2 ({c.die_source}) x cpu die_impact + impact",
                )
            )

    # --- DRAM (per GB) ---
    for dram_type, dt in spec.dimms.items():
        d = shared.dimm(dt.greensku_generation, dt.greensku_size)
        n_ics = dt.ics_per_dimm
        act_kg = act.dram_g_per_gb / 1000.0 + n_ics * ACT_PKG_KG / d["gb"]
        rows.append(
            _row(
                "dram",
                dram_type,
                "act",
                act_kg,
                "gb",
                "direct",
                f"ACT dram_dram_hynix.yaml ddr4_10nm {act.dram_g_per_gb:g} g/GB (newest ACT "
                f"DRAM entry) + {n_ics} IC packages x 150 g per {d['gb']:g} GB RDIMM "
                f"({dt.ics_source}); {ACT_CODE_SOURCE}",
            )
        )
        if d["kg"] > 0:
            rows.append(
                _row(
                    "dram",
                    dram_type,
                    "greensku",
                    d["kg"] / d["gb"],
                    "gb",
                    "direct",
                    f"GreenSKU DRAM.yaml {dt.greensku_generation} {d['gb']:g}GB "
                    f"{d['kg']:g} kg per DIMM (Dell LCA) / {d['gb']:g} GB",
                )
            )
        else:
            rows.append(
                _row(
                    "dram",
                    dram_type,
                    "greensku",
                    gs_dram_kg_per_gb,
                    "gb",
                    "derived",
                    f"GreenSKU DRAM.yaml gives reused {dt.greensku_generation} 0 kg "
                    f"(reuse credit); a new DIMM is given {gs_dram_note}",
                )
            )
        rows.append(
            _row(
                "dram",
                dram_type,
                "boavizta",
                boa.ram_kg_per_gb(d["gb"]),
                "gb",
                "direct",
                f"{boa.tag}: ram die_impact x {d['gb']:g} GB / mean density of "
                f"ram_manufacture.csv + impact per module, / {d['gb']:g} GB",
            )
        )

    # --- SSD (per TB) ---
    ssd_tb = 4
    gs_ssd = shared.ssd_drive(ssd_tb)
    rows.append(
        _row(
            "ssd",
            "ssd",
            "act",
            act.ssd_g_per_gb,
            "tb",
            "direct",
            f"ACT ssd_ssd_seagate.yaml seagate_nytro_3530 {act.ssd_g_per_gb:g} g/GB",
        )
    )
    rows.append(
        _row(
            "ssd",
            "ssd",
            "greensku",
            gs_ssd["kg"] / ssd_tb,
            "tb",
            "direct",
            f"GreenSKU SSD.yaml E1.S {ssd_tb}TB {gs_ssd['kg']:g} kg per drive (Seagate Nytro "
            f"3530 report) / {ssd_tb} TB",
        )
    )
    rows.append(
        _row(
            "ssd",
            "ssd",
            "boavizta",
            boa.ssd_kg_per_tb(ssd_tb),
            "tb",
            "direct",
            f"{boa.tag}: ssd die_impact x {ssd_tb} TB / mean density of ssd_manufacture.csv "
            f"+ impact per drive, / {ssd_tb} TB",
        )
    )

    # --- host_base (chassis, motherboard, PSU, fans, NIC) ---
    nic = shared.nic_item()
    nic_act = act.logic_kg([(1, NIC_ASIC_MM2, *NIC_ASIC_NODE)], n_ics=1)
    for h in spec.hosts.values():
        steel = h.chassis_metal_kg * act.steel_kg_per_kg
        pcb = h.pcb_m2 * PCB_LAYERS * act.pcb_kg_per_m2_layer
        rows.append(
            _row(
                "host_base",
                h.host,
                "act",
                steel + pcb + nic_act,
                "host",
                "derived",
                f"ACT has no chassis model: {h.chassis_metal_kg:g} kg chassis/PSU metal "
                f"(assumption, {h.rack_units}U) x steel {act.steel_kg_per_kg:g} kg/kg "
                f"(materials_materials.yaml) + {h.pcb_m2:g} m2 x {PCB_LAYERS} layers x "
                f"{act.pcb_kg_per_m2_layer:g} kg/m2/layer (materials_pcb.yaml cpla; area and "
                f"layers assumption) + NIC ({NIC_SOURCE}; ACT logic model)",
            )
        )
        if h.rack_units <= 2:
            srv = shared.server_items(h.rack_units)
            gs_kg = srv["server_kg"] + srv["fan_kg"] + nic["kg"]
            rows.append(
                _row(
                    "host_base",
                    h.host,
                    "greensku",
                    gs_kg,
                    "host",
                    "direct",
                    f"GreenSKU server.yaml Server-{h.rack_units}U server {srv['server_kg']:g} "
                    f"+ fan {srv['fan_kg']:g} + NIC.yaml {nic['bw']} {nic['kg']:g} kg",
                )
            )
        else:
            srv = shared.server_items(2)
            k = h.rack_units / 2
            gs_kg = k * (srv["server_kg"] + srv["fan_kg"]) + nic["kg"]
            rows.append(
                _row(
                    "host_base",
                    h.host,
                    "greensku",
                    gs_kg,
                    "host",
                    "derived",
                    f"GreenSKU has 1U/2U servers only: Server-2U (server {srv['server_kg']:g} + "
                    f"fan {srv['fan_kg']:g}) x {k:g} for a {h.rack_units}U chassis "
                    f"(assumption) + NIC.yaml {nic['bw']} {nic['kg']:g} kg",
                )
            )
        base, nic_boa = boa.host_base_kg(h.n_psu)
        rows.append(
            _row(
                "host_base",
                h.host,
                "boavizta",
                base + nic_boa,
                "host",
                "derived",
                f"{boa.tag}: rack case + motherboard + {h.n_psu} PSU x archetype unit weight x "
                f"power_supply factor + assembly; boaviztapi has no NIC: {NIC_SOURCE} with its "
                f"cpu die formula (derived)",
            )
        )
    rows.extend(whole_part_rows(rows, _row))
    return pd.DataFrame(rows)


GCP_REPO = "GoogleCloudPlatform/region-carbon-info"


def read_gcp_year(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """One GCP yearly CSV: (intensity column name, rows of region/location/cfe/gco2e)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        ci_col = next(c for c in reader.fieldnames or [] if "carbon intensity" in c.lower())
        rows = []
        for rec in reader:
            if not any((v or "").strip() for v in rec.values()):
                continue  # blank line
            cfe = rec["Google CFE"].strip()
            rows.append(
                {
                    "region": rec["Google Cloud Region"].strip(),
                    "location": rec["Location"].strip(),
                    "cfe": float(cfe) if cfe else None,
                    "gco2e": float(rec[ci_col]),
                }
            )
    return ci_col, rows


def build_grid_regions(shared: Shared) -> pd.DataFrame:
    """grid_regions.csv: every region and year of the GCP yearly files."""
    rows = []
    for path in sorted((shared.root / "grid" / "gcp").glob("*.csv")):
        year = int(path.stem)
        ci_col, records = read_gcp_year(path)
        for r in records:
            rows.append(
                {
                    "region": r["region"],
                    "year": year,
                    "provider": "gcp",
                    "location": r["location"],
                    "gco2e_per_kwh": r["gco2e"],
                    "cfe_share": r["cfe"],
                    "source": (
                        f"[gco2e_per_kwh,cfe_share] {GCP_REPO} {path.name} "
                        f"('{ci_col}', 'Google CFE'; empty cfe_share: not published) "
                        f"(Apache-2.0)"
                    ),
                }
            )
    return pd.DataFrame(rows)


def build_grid_countries(shared: Shared) -> pd.DataFrame:
    """grid_countries.csv: every country of codecarbon's global_energy_mix.json."""
    path = shared.root / "grid" / "codecarbon" / "global_energy_mix.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for code in sorted(data):
        d = data[code]
        ci = d.get("carbon_intensity")
        if ci is None:
            continue
        rows.append(
            {
                "country": code,
                "year": int(d["year"]),
                "name": d["country_name"],
                "gco2e_per_kwh": float(ci),
                "source": (
                    "[gco2e_per_kwh,year] mlco2/codecarbon data/private_infra/"
                    "global_energy_mix.json 'carbon_intensity' (from Our World in Data / Ember "
                    "generation mix) (MIT)"
                ),
            }
        )
    return pd.DataFrame(rows)


LICENSES = {
    # shared-data relative path -> file name in models/licenses/
    "embodied/act/LICENSE-ACT-MIT.txt": "act-LICENSE-ACT-MIT.txt",
    "embodied/greensku/LICENSE-CC-BY-4.0.txt": "greensku-LICENSE-CC-BY-4.0.txt",
    "grid/gcp/LICENSE-Apache-2.0.txt": "gcp-region-carbon-info-LICENSE-Apache-2.0.txt",
    "grid/codecarbon/LICENSE-MIT.txt": "codecarbon-LICENSE-MIT.txt",
    "perf/LICENSE-splitwise-sim-MIT.txt": "splitwise-sim-LICENSE-MIT.txt",
}


def copy_licenses(shared: Shared, out: Path) -> None:
    """Plain copies of the licence files of the converted sources."""
    dest = out / "licenses"
    dest.mkdir(parents=True, exist_ok=True)
    for rel, name in LICENSES.items():
        shutil.copyfile(shared.root / rel, dest / name)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Deterministic CSV: UTF-8, ``\\n`` line ends, minimal quoting."""
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def build_all(shared_dir: Path, out: Path) -> dict[str, Path]:
    """Write all hardware, embodied and grid tables into ``out``; returns written paths."""
    shared = Shared(shared_dir)
    specs = load_specs()
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "gpus.csv": build_gpus(shared, specs),
        "hosts.csv": build_hosts(shared, specs),
        "embodied.csv": build_embodied(shared, specs=specs),
        "host_components.csv": host_power.load_specs().reset_index(),
        "grid_regions.csv": build_grid_regions(shared),
        "grid_countries.csv": build_grid_countries(shared),
    }
    written = {}
    for name, df in tables.items():
        write_csv(df, out / name)
        written[name] = out / name
    copy_licenses(shared, out)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(
        prog="python -m catalog_build hardware", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--shared",
        type=Path,
        default=None,
        help="shared field-data folder (default: $ECOSERVE_SHARED_DATA, else ../shared/data)",
    )
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output catalog folder (default: models)"
    )
    args = p.parse_args(argv)
    shared = args.shared if args.shared is not None else default_shared_dir()
    written = build_all(shared, args.out)
    for path in written.values():
        n_rows = path.read_text(encoding="utf-8").count("\n") - 1
        print(f"wrote {path} ({n_rows} rows)")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

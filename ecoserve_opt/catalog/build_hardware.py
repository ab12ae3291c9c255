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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ecoserve_opt.catalog import host_power
from ecoserve_opt.catalog.whole_part import whole_part_rows

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "models"

GPU_LIFETIME_SOURCE = "assumption, EcoServe/industry practice 4-6 y"

# ---------------------------------------------------------------------------------------------
# GPUs: public spec numbers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuSpec:
    """Public specification of one GPU SKU and where each number comes from."""

    gpu: str
    vendor: str
    generation_year: int
    form_factor: str
    memory_gb: float
    mem_bw_gbs: float
    fp16_tflops: float
    tdp_w: float
    die_area_mm2: float
    process_nm: int
    capex_usd: float
    datasheet: str  # memory_gb, mem_bw_gbs, fp16_tflops, tdp_w, generation_year
    die_source: str  # die_area_mm2, process_nm
    capex_source: str
    idle_ref: str  # splitwise key whose idle/TDP ratio (or value) is used
    mem_packages: int  # HBM stacks or GDDR packages (ACT packaging count)
    act_node: str  # closest ACT logic node
    fab_location: str  # ACT fab grid location
    boavizta_name: str  # row name in boaviztapi gpu_specs.csv
    boavizta_derived: str = ""  # non-empty: why the boavizta row is derived


# fmt: off
GPUS: tuple[GpuSpec, ...] = (
    GpuSpec(
        "h100-80gb", "nvidia", 2022, "sxm", 80, 3350, 989.4, 700, 814, 4, 30000,
        "NVIDIA H100 Tensor Core GPU datasheet (SXM5: 80 GB HBM3, 3.35 TB/s, 989 dense FP16 "
        "tensor TFLOPS, up to 700 W; launched 2022)",
        "NVIDIA H100 Tensor Core GPU Architecture whitepaper (GH100 814 mm2, TSMC 4N)",
        "rough public street price 2023-24 (USD 25-40k per SXM GPU), assumption",
        "h100-80gb", 5, "5nm", "taiwan", "NVIDIA H100 SXM 80GB",
    ),
    GpuSpec(
        "a100-80gb", "nvidia", 2020, "sxm", 80, 2039, 312, 400, 826, 7, 15000,
        "NVIDIA A100 Tensor Core GPU datasheet (SXM4 80 GB HBM2e, 2039 GB/s, 312 dense FP16 "
        "tensor TFLOPS, 400 W; launched Nov 2020)",
        "NVIDIA A100 Tensor Core GPU Architecture whitepaper (GA100 826 mm2, TSMC 7 nm)",
        "rough public street price 2022-24 (USD 10-20k), assumption",
        "a100-80gb", 5, "7nm", "taiwan", "NVIDIA A100 SXM4 80GB",
    ),
    GpuSpec(
        "a100-40gb", "nvidia", 2020, "sxm", 40, 1555, 312, 400, 826, 7, 10000,
        "NVIDIA A100 Tensor Core GPU datasheet (SXM4 40 GB HBM2, 1555 GB/s, 312 dense FP16 "
        "tensor TFLOPS, 400 W; launched May 2020)",
        "NVIDIA A100 Tensor Core GPU Architecture whitepaper (GA100 826 mm2, TSMC 7 nm)",
        "rough public street price 2022-24 (USD 8-12k), assumption",
        "a100-80gb", 5, "7nm", "taiwan", "NVIDIA A100 SXM4 40GB",
    ),
    GpuSpec(
        "l40s", "nvidia", 2023, "pcie", 48, 864, 362.05, 350, 608.5, 4, 8000,
        "NVIDIA L40S datasheet (48 GB GDDR6, 864 GB/s, 362 dense FP16 tensor TFLOPS, 350 W; "
        "launched 2023)",
        "NVIDIA Ada Lovelace architecture whitepaper (AD102 608.5 mm2, TSMC 4N)",
        "rough public street price 2024 (USD 7-10k), assumption",
        "h100-80gb", 24, "5nm", "taiwan", "NVIDIA L40S 48GB",
    ),
    GpuSpec(
        "l4", "nvidia", 2023, "pcie", 24, 300, 121, 72, 294.5, 4, 2500,
        "NVIDIA L4 Tensor Core GPU datasheet (24 GB GDDR6, 300 GB/s, 121 dense FP16 tensor "
        "TFLOPS, 72 W; launched 2023)",
        "NVIDIA Ada Lovelace architecture whitepaper (AD104 294.5 mm2, TSMC 4N)",
        "rough public street price 2024 (USD 2-3k), assumption",
        "h100-80gb", 12, "5nm", "taiwan", "NVIDIA L4",
    ),
    GpuSpec(
        "a10g", "nvidia", 2021, "pcie", 24, 600, 125, 300, 628.4, 8, 3500,
        "NVIDIA A10 Tensor Core GPU datasheet (24 GB GDDR6, 600 GB/s, 125 dense FP16 tensor "
        "TFLOPS; launched 2021) for the A10G, AWS's A10 variant without its own datasheet; "
        "tdp_w 300 W is the A10G board power limit reported by nvidia-smi on AWS EC2 G5 "
        "(A10: 150 W), assumption",
        "NVIDIA Ampere GA102 GPU architecture whitepaper (GA102 628.4 mm2, Samsung 8N)",
        "not sold separately; A10 street price ~USD 3-4k, assumption",
        "a100-80gb", 12, "8nm", "korea", "NVIDIA A10",
        "boaviztapi has no A10G row; its A10 row (same GA102 die, 24 GB) is used",
    ),
    GpuSpec(
        "v100-32gb", "nvidia", 2018, "sxm", 32, 900, 125, 300, 815, 12, 10000,
        "NVIDIA V100 Tensor Core GPU datasheet (SXM2 32 GB HBM2, 900 GB/s, 125 FP16 tensor "
        "TFLOPS, 300 W; 32 GB variant launched 2018)",
        "NVIDIA Tesla V100 GPU architecture whitepaper (GV100 815 mm2, TSMC 12 nm FFN)",
        "launch list price ~USD 10k (2018); second-hand today far lower, assumption",
        "a100-80gb", 4, "14nm", "taiwan", "NVIDIA Tesla V100 SXM2 32GB",
    ),
    GpuSpec(
        "t4", "nvidia", 2018, "pcie", 16, 320, 65, 70, 545, 12, 2500,
        "NVIDIA T4 Tensor Core GPU datasheet (16 GB GDDR6, 320 GB/s, 65 FP16 tensor TFLOPS, "
        "70 W; launched 2018)",
        "NVIDIA Turing GPU architecture whitepaper (TU104 545 mm2, TSMC 12 nm FFN)",
        "rough public street price (USD 2-3k), assumption",
        "a100-80gb", 8, "14nm", "taiwan", "NVIDIA T4",
    ),
)
# fmt: on
GPU_LIFETIME_YEARS = 5

# GPU generation (``architecture``) and its module: the key of host compatibility (a GPU is
# mounted only in hosts whose ``gpu_architectures`` list it, with the same form factor).
_SXM_GENERATIONS = (
    "SXM modules are generation-specific: SXM2 Volta, SXM4 Ampere, SXM5 Hopper "
    "(NVIDIA DGX A100 / DGX H100 user guides)"
)
GPU_ARCHITECTURE: dict[str, tuple[str, str]] = {
    "h100-80gb": (
        "hopper",
        "NVIDIA H100 Tensor Core GPU datasheet (Hopper architecture, SXM5 module); "
        + _SXM_GENERATIONS,
    ),
    "a100-80gb": (
        "ampere",
        "NVIDIA A100 Tensor Core GPU datasheet (Ampere architecture, SXM4 module); "
        + _SXM_GENERATIONS,
    ),
    "a100-40gb": (
        "ampere",
        "NVIDIA A100 Tensor Core GPU datasheet (Ampere architecture, SXM4 module); "
        + _SXM_GENERATIONS,
    ),
    "l40s": ("ada", "NVIDIA L40S datasheet (Ada Lovelace, dual-slot PCIe Gen4 x16 card)"),
    "l4": ("ada", "NVIDIA L4 Tensor Core GPU datasheet (Ada Lovelace, PCIe Gen4 x16 card)"),
    "a10g": ("ampere", "NVIDIA A10 Tensor Core GPU datasheet (Ampere GA102, PCIe Gen4 card)"),
    "v100-32gb": (
        "volta",
        "NVIDIA V100 Tensor Core GPU datasheet (Volta architecture, SXM2 module); "
        + _SXM_GENERATIONS,
    ),
    "t4": ("turing", "NVIDIA T4 Tensor Core GPU datasheet (Turing, PCIe Gen3 x16 card)"),
}

# ---------------------------------------------------------------------------------------------
# Hosts: public spec numbers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuSpec:
    """One CPU package (per socket) and its silicon (for embodied carbon)."""

    cpu: str
    model: str
    generation_year: int
    cores: int
    tdp_w: float
    channels: int
    mts: int  # memory transfer rate, MT/s
    dram_type: str
    price_usd: float
    spec_source: str
    price_source: str
    dies: tuple[tuple[int, float, str, str], ...]  # (count, mm2 each, ACT node, fab location)
    die_source: str
    boavizta_name: str  # "" when boaviztapi's cpu_specs.csv has no die size for it


# fmt: off
CPUS: dict[str, CpuSpec] = {
    c.cpu: c
    for c in (
        CpuSpec(
            "genoa", "AMD EPYC 9654", 2023, 96, 360, 12, 4800, "ddr5", 11805,
            "AMD EPYC 9654 product page (96 cores, 360 W default TDP, 12 ch DDR5-4800; "
            "launched Nov 2022, volume servers 2023)",
            "AMD launch price list Nov 2022 (USD 11,805)",
            ((12, 72.0, "5nm", "taiwan"), (1, 397.0, "7nm", "taiwan")),
            "AMD Genoa 12 x 72 mm2 CCD (TSMC N5) + 397 mm2 IOD (TSMC N6, ACT 7nm) per "
            "AMD ISSCC 2023 / wccftech die shots",
            "AMD EPYC 9654",
        ),
        CpuSpec(
            "bergamo", "AMD EPYC 9754", 2023, 128, 360, 12, 4800, "ddr5", 11900,
            "AMD EPYC 9754 product page (128 Zen 4c cores, 360 W default TDP, 12 ch "
            "DDR5-4800; launched Jun 2023)",
            "AMD launch price list Jun 2023 (USD 11,900)",
            ((8, 73.0, "5nm", "taiwan"), (1, 397.0, "7nm", "taiwan")),
            "AMD Bergamo 8 x ~73 mm2 Zen 4c CCD (TSMC N5) + 397 mm2 IOD (TSMC N6, ACT 7nm) "
            "per AMD Hot Chips 2023",
            "",
        ),
        CpuSpec(
            "rome", "AMD EPYC 7742", 2019, 64, 225, 8, 3200, "ddr4", 6950,
            "AMD EPYC 7742 product page (64 cores, 225 W TDP, 8 ch DDR4-3200; launched "
            "Aug 2019)",
            "AMD launch price list Aug 2019 (USD 6,950)",
            ((8, 74.0, "7nm", "taiwan"), (1, 416.0, "14nm", "usa")),
            "AMD Rome 8 x 74 mm2 CCD (TSMC N7) + 416 mm2 IOD (GlobalFoundries 14 nm, fab "
            "USA) per AMD ISSCC 2020",
            "AMD EPYC 7742",
        ),
        CpuSpec(
            "icelake", "Intel Xeon Platinum 8380", 2021, 40, 270, 8, 3200, "ddr4", 8099,
            "Intel ARK Xeon Platinum 8380 (40 cores, 270 W TDP, 8 ch DDR4-3200; launched "
            "Apr 2021)",
            "Intel ARK recommended customer price (USD 8,099)",
            ((1, 628.0, "10nm", "usa"),),
            "Ice Lake-SP XCC die ~628 mm2 (Intel 10 nm SuperFin; public die-shot estimates, "
            "WikiChip), fab USA",
            "",
        ),
        CpuSpec(
            "skylake", "Intel Xeon Platinum 8168", 2017, 24, 205, 6, 2666, "ddr4", 5890,
            "Intel ARK Xeon Platinum 8168 (24 cores, 205 W TDP, 6 ch DDR4-2666; launched "
            "Jul 2017)",
            "Intel ARK recommended customer price (USD 5,890)",
            ((1, 694.0, "14nm", "usa"),),
            "Skylake-SP XCC die 694 mm2 (Intel 14 nm; WikiChip), fab USA",
            "Intel Xeon Platinum 8168",
        ),
    )
}
# fmt: on

# GreenSKU DRAM.yaml and SSD.yaml entries used for the DIMM / drive sizes and power.
DIMM_BY_TYPE = {"ddr5": ("DDR5", "64GB"), "ddr4": ("DDR4", "32GB")}
# DRAM ICs per RDIMM (ACT packaging count): 64 GB DDR5 2Rx4 16 Gb = 2 ranks x 2 sub-channels
# x 10 x4 devices; 32 GB DDR4 2Rx4 8 Gb = 2 ranks x 18 x4 devices (JEDEC RDIMM organisation).
DRAM_ICS_PER_DIMM = {"ddr5": 40, "ddr4": 36}
DRAM_ICS_SOURCE = "assumption: JEDEC 2Rx4 RDIMM organisation (DDR5 64 GB: 40 ICs; DDR4 32 GB: 36)"
DIMM_PRICE = {"ddr5": 300.0, "ddr4": 100.0}
SSD_PRICE = {2: 250.0, 4: 450.0}
PRICE_NOTE = "rough public street price 2024, assumption"


@dataclass(frozen=True)
class HostSpec:
    """One host (server) SKU without GPUs."""

    host: str
    cpu: str
    min_sockets: int
    max_sockets: int
    min_dimms: int
    max_dimms: int
    ssd_tb: int
    min_ssds: int
    max_ssds: int
    gpu_slots: int
    gpu_form_factor: str
    rack_units: int
    n_psu: int
    chassis_metal_kg: float  # ACT materials model input (assumption)
    pcb_m2: float  # ACT PCB model input (assumption)
    capex_base_usd: float
    config_source: str  # sockets, DIMM, SSD counts, slots
    capex_base_source: str


# fmt: off
HOSTS: tuple[HostSpec, ...] = (
    HostSpec(
        "genoa-8sxm", "genoa", 1, 2, 4, 32, 4, 1, 8, 8, "sxm", 8, 6, 60.0, 0.40, 40000,
        "DGX H100-class 8U host (NVIDIA DGX H100 user guide: 2 sockets, 2 TB = 32 x 64 GB "
        "DDR5, 8 x 3.84 TB NVMe, 8 SXM5, 6 PSUs); min counts = reduced host (EcoServe Reduce)",
        "rough estimate: DGX H100 list (~USD 300-400k) minus 8 GPUs, CPUs, DIMMs, SSDs; "
        "includes NVSwitch baseboard and NICs, assumption",
    ),
    HostSpec(
        "genoa-4pcie", "genoa", 1, 2, 4, 24, 2, 1, 8, 4, "pcie", 2, 2, 15.0, 0.13, 6000,
        "2U 2-socket Genoa server with 4 double-width PCIe GPU slots (e.g. Dell PowerEdge "
        "R7625 spec sheet: 24 DIMMs 1 DPC, up to 8 E1.S/E3.S NVMe); min counts = reduced host",
        "rough public configurator price of a 2U barebone, assumption",
    ),
    HostSpec(
        "bergamo-cpu", "bergamo", 1, 2, 4, 24, 2, 1, 4, 0, "none", 1, 2, 10.0, 0.13, 4000,
        "1U 2-socket Bergamo CPU-only server (GreenSKU-style 1U; 24 DIMMs 1 DPC, up to 4 "
        "E1.S); min counts = reduced host",
        "rough public configurator price of a 1U barebone, assumption",
    ),
    HostSpec(
        "rome-8sxm", "rome", 1, 2, 4, 32, 4, 1, 6, 8, "sxm", 6, 6, 55.0, 0.40, 30000,
        "DGX A100-class 6U host (NVIDIA DGX A100 user guide: 2 x EPYC 7742, 1 TB = 32 x 32 GB "
        "DDR4, 15 TB NVMe data + OS drives, 8 SXM4, 6 PSUs); min counts = reduced host",
        "rough estimate: DGX A100 launch list (USD 199k) minus 8 GPUs, CPUs, DIMMs, SSDs; "
        "includes NVSwitch baseboard and NICs, assumption",
    ),
    HostSpec(
        "icelake-4pcie", "icelake", 1, 2, 4, 32, 2, 1, 8, 4, "pcie", 2, 2, 15.0, 0.13, 5000,
        "2U 2-socket Ice Lake-SP server with 4 PCIe GPU slots (e.g. Dell PowerEdge R750xa "
        "spec sheet: 32 DIMMs 2 DPC, up to 8 NVMe); min counts = reduced host",
        "rough public configurator price of a 2U barebone, assumption",
    ),
    HostSpec(
        "skylake-4pcie", "skylake", 1, 2, 4, 24, 2, 1, 6, 4, "pcie", 2, 2, 15.0, 0.13, 4000,
        "2U 2-socket Skylake-SP server with 4 PCIe GPU slots (e.g. Dell PowerEdge R740 spec "
        "sheet: 24 DIMMs 2 DPC, 3 x16 PCIe risers, NVMe bays); min counts = reduced host",
        "rough public configurator price of a 2U barebone, assumption",
    ),
)
# fmt: on

# GPU generations a host platform accepts (``gpu_architectures``, ';'-separated).
_PCIE_ANY = (
    "volta;turing;ampere;ada;hopper",
    "PCIe CEM x16 add-in cards of any generation (PCI Express links are backward and "
    "forward compatible and train to the slower generation, PCI-SIG; e.g. the Hopper H100 "
    "PCIe is a dual-slot PCIe Gen5 card, NVIDIA H100 PCIe product brief PB-11133); slot "
    "power and cooling limits are not modelled, assumption",
)
HOST_GPU_ARCHITECTURES: dict[str, tuple[str, str]] = {
    "genoa-8sxm": (
        "hopper",
        "HGX H100 8-GPU baseboard: eight SXM5 Hopper GPUs (NVIDIA developer blog "
        "'Introducing NVIDIA HGX H100'; DGX H100/H200 user guide); takes no SXM4 A100",
    ),
    "rome-8sxm": (
        "ampere",
        "HGX A100 8-GPU baseboard: eight SXM4 A100 GPUs (NVIDIA DGX A100 user guide); "
        "takes no SXM5 H100",
    ),
    "genoa-4pcie": _PCIE_ANY,
    "icelake-4pcie": _PCIE_ANY,
    "skylake-4pcie": _PCIE_ANY,
    "bergamo-cpu": ("", "no GPU slots"),
}
CPU_IDLE_LOAD_PCT = 10  # lowest point of GreenSKU's SPECpower derate curve
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
    def dimm(self, dram_type: str) -> dict[str, Any]:
        gen, size = DIMM_BY_TYPE[dram_type]
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


def build_gpus(shared: Shared) -> pd.DataFrame:
    """gpus.csv: one row per GPU SKU."""
    idle = shared.splitwise["idle_power"]
    rows = []
    for g in GPUS:
        if g.gpu in idle:
            idle_w = float(idle[g.gpu])
            idle_src = "splitwise-sim configs/power_model (measured idle)"
        elif g.gpu == "a100-40gb":
            idle_w = float(idle["a100-80gb"])
            idle_src = "splitwise-sim measured A100 idle (63 W, same GA100 die and TDP)"
        else:
            ref = g.idle_ref
            frac = float(idle[ref]) / next(x.tdp_w for x in GPUS if x.gpu == ref)
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
                "architecture": GPU_ARCHITECTURE[g.gpu][0],
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
                    (["architecture"], GPU_ARCHITECTURE[g.gpu][1]),
                ),
            }
        )
    return pd.DataFrame(rows)


def build_hosts(shared: Shared, specs: pd.DataFrame | None = None) -> pd.DataFrame:
    """hosts.csv: one row per host SKU (component power from ``host_power``'s spec table)."""
    specs = host_power.load_specs() if specs is None else specs
    months = int(shared.params["lifetime"])
    host_life = months // 12 if months % 12 == 0 else months / 12
    rows = []
    for h in HOSTS:
        c = CPUS[h.cpu]
        dimm = shared.dimm(c.dram_type)
        power, power_src = host_power.host_columns(
            specs, c.dram_type, h.ssd_tb, h.rack_units, c.tdp_w
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
                "gpu_architectures": HOST_GPU_ARCHITECTURES[h.host][0],
                "base_w": power["base_w"],
                "lifetime_years": host_life,
                "capex_base_usd": h.capex_base_usd,
                "capex_cpu_usd": c.price_usd,
                "capex_dimm_usd": DIMM_PRICE[c.dram_type],
                "capex_ssd_usd": SSD_PRICE[h.ssd_tb],
                **{k: v for k, v in power.items() if k not in HOST_POWER_IN_PLACE},
                "source": _src(
                    (["generation_year", "cores_per_socket", "cpu_tdp_w"], c.spec_source),
                    (
                        ["mem_bw_gbs_per_socket"],
                        f"{c.channels} channels x {c.mts} MT/s x 8 B ({cpu_model})",
                    ),
                    (
                        ["dimm_gb"],
                        f"GreenSKU DRAM.yaml {DIMM_BY_TYPE[c.dram_type][0]} "
                        f"{DIMM_BY_TYPE[c.dram_type][1]} ({dimm['freq']})",
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
                    (["capex_dimm_usd", "capex_ssd_usd"], PRICE_NOTE),
                    (["gpu_architectures"], HOST_GPU_ARCHITECTURES[h.host][1]),
                ),
            }
        )
    return pd.DataFrame(rows)


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


def build_embodied(shared: Shared, boa: Boavizta | None = None) -> pd.DataFrame:
    """embodied.csv: every GPU, CPU, DRAM type, SSD and host base under act/greensku/boavizta."""
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
    ddr5 = shared.dimm("ddr5")
    gs_dram_kg_per_gb = ddr5["kg"] / ddr5["gb"]
    gs_dram_note = (
        f"GreenSKU DRAM.yaml DDR5 {ddr5['gb']:g}GB {ddr5['kg']:g} kg (Dell LCA) = "
        f"{gs_dram_kg_per_gb:.4f} kg/GB"
    )

    # --- GPUs ---
    for g in GPUS:
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
    for c in CPUS.values():
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
    for dram_type in ("ddr5", "ddr4"):
        d = shared.dimm(dram_type)
        n_ics = DRAM_ICS_PER_DIMM[dram_type]
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
                f"({DRAM_ICS_SOURCE}); {ACT_CODE_SOURCE}",
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
                    f"GreenSKU DRAM.yaml {DIMM_BY_TYPE[dram_type][0]} {d['gb']:g}GB "
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
                    f"GreenSKU DRAM.yaml gives reused {DIMM_BY_TYPE[dram_type][0]} 0 kg "
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
    for h in HOSTS:
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
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "gpus.csv": build_gpus(shared),
        "hosts.csv": build_hosts(shared),
        "embodied.csv": build_embodied(shared),
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
        prog="python -m ecoserve_opt.catalog.build_hardware", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="shared field-data folder (default: ../shared/data relative to the repo root)",
    )
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output catalog folder (default: models)"
    )
    args = p.parse_args(argv)
    written = build_all(args.shared, args.out)
    for path in written.values():
        n_rows = path.read_text(encoding="utf-8").count("\n") - 1
        print(f"wrote {path} ({n_rows} rows)")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

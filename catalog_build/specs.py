"""The hand-typed public spec tables of the catalog build (``catalog_build/specs/*.csv``).

Each table has one row per item and a ``source`` column. In the hardware tables it is in the
catalog's format ``[col,col] reference; [col] reference``: every column listed in
:data:`SOURCED` must be named in one bracketed group of its row; ``llms.csv`` has one
plain source per row (model card, paper). :func:`load_specs` reads and checks the tables and
returns them as frozen dataclasses; errors name the file, the row and the column.

Adding hardware (a new GPU, CPU or host) is adding a row to ``gpus.csv``, ``cpus.csv`` or
``hosts.csv`` here (plus, for the runtime roofline, a row of
``ecoserve_opt/perf/interconnect.csv`` or ``ecoserve_opt/perf/cpu_arch.csv``), then re-running
``python -m catalog_build all``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from catalog_build import SPECS_DIR

#: Columns of each table that must have a bracketed source in their row.
SOURCED: dict[str, tuple[str, ...]] = {
    "gpus.csv": (
        "generation_year",
        "memory_gb",
        "mem_bw_gbs",
        "fp16_tflops",
        "tdp_w",
        "die_area_mm2",
        "process_nm",
        "capex_usd",
        "architecture",
    ),
    "cpus.csv": (
        "generation_year",
        "cores",
        "tdp_w",
        "channels",
        "mts",
        "dram_type",
        "price_usd",
        "dies",
    ),
    "hosts.csv": (
        "min_sockets",
        "max_sockets",
        "min_dimms",
        "max_dimms",
        "ssd_tb",
        "min_ssds",
        "max_ssds",
        "gpu_slots",
        "gpu_form_factor",
        "rack_units",
        "n_psu",
        "chassis_metal_kg",
        "pcb_m2",
        "capex_base_usd",
        "gpu_architectures",
    ),
    "dimms.csv": ("greensku_generation", "greensku_size", "ics_per_dimm", "capex_usd"),
    "ssds.csv": ("capex_usd",),
}
_GROUP = re.compile(r"(?:^|; )\[([A-Za-z0-9_]+(?:,[A-Za-z0-9_]+)*)\] ")
_INT = re.compile(r"-?\d+")
_DIE = re.compile(r"(\d+) x ([0-9.]+) mm2 (\S+) (\S+)")


class SpecError(ValueError):
    """A spec table is malformed: the message names the file, row and column."""


def source_groups(text: str) -> dict[tuple[str, ...], str]:
    """``[a,b] text; [c] text`` -> ``{("a", "b"): "text", ("c",): "text"}`` (in order)."""
    matches = list(_GROUP.finditer(text))
    if not matches or matches[0].start() != 0:
        raise ValueError("source does not start with a '[column,...] ' group")
    out: dict[tuple[str, ...], str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out[tuple(m.group(1).split(","))] = text[m.end() : end]
    return out


def _num(text: str) -> int | float:
    """An int if the cell is written as one (``80``), else a float (``989.4``, ``60.0``)."""
    return int(text) if _INT.fullmatch(text) else float(text)


@dataclass(frozen=True)
class Row:
    """One row of a spec table: raw cells plus the source text of each sourced column."""

    file: str
    line: int
    cells: dict[str, str]
    sources: dict[str, str]

    def where(self, col: str) -> str:
        """``file: row N.col`` for error messages."""
        return f"{self.file}: row {self.line}.{col}"

    def text(self, col: str) -> str:
        """The cell as text ('' when empty)."""
        return self.cells[col]

    def num(self, col: str) -> int | float:
        """The cell as a number (int when written as an integer)."""
        try:
            return _num(self.cells[col].strip())
        except ValueError:
            raise SpecError(f"{self.where(col)}: {self.cells[col]!r} is not a number") from None

    def int(self, col: str) -> int:
        """The cell as an integer."""
        v = self.num(col)
        if not isinstance(v, int):
            raise SpecError(f"{self.where(col)}: {self.cells[col]!r} is not an integer")
        return v


def read_table(name: str, folder: Path = SPECS_DIR) -> list[Row]:
    """Rows of one spec table, with every :data:`SOURCED` column's source checked.

    Tables not in :data:`SOURCED` (``llms.csv``) have one plain ``source`` per row.
    """
    path = folder / name
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = list(reader.fieldnames or [])
        need = [*SOURCED.get(name, ()), "source"]
        missing = [c for c in need if c not in cols]
        if missing:
            raise SpecError(f"{path.name}: column '{missing[0]}' is missing")
        rows = []
        for i, rec in enumerate(reader, start=2):
            cells = {k: (v or "") for k, v in rec.items()}
            if not cells["source"].strip():
                raise SpecError(f"{path.name}: row {i}.source: every row needs a source")
            if name not in SOURCED:  # one source for the whole row
                rows.append(Row(path.name, i, cells, {c: cells["source"] for c in cols}))
                continue
            try:
                groups = source_groups(cells["source"])
            except ValueError as exc:
                raise SpecError(f"{path.name}: row {i}.source: {exc}") from None
            by_col = {c: t for cs, t in groups.items() for c in cs}
            for c in SOURCED.get(name, ()):
                if c not in by_col:
                    raise SpecError(f"{path.name}: row {i}.source: no source names column '{c}'")
            rows.append(Row(path.name, i, cells, by_col))
    return rows


# --- GPUs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GpuSpec:
    """Public specification of one GPU SKU and where each number comes from."""

    gpu: str
    vendor: str
    generation_year: int
    form_factor: str
    architecture: str
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
    architecture_source: str
    idle_ref: str  # splitwise key whose idle/TDP ratio (or value) is used
    mem_packages: int  # HBM stacks or GDDR packages (ACT packaging count)
    act_node: str  # closest ACT logic node
    fab_location: str  # ACT fab grid location
    boavizta_name: str  # row name in boaviztapi gpu_specs.csv
    boavizta_derived: str = ""  # non-empty: why the boavizta row is derived


def _gpu(r: Row) -> GpuSpec:
    return GpuSpec(
        gpu=r.text("gpu"),
        vendor=r.text("vendor"),
        generation_year=r.int("generation_year"),
        form_factor=r.text("form_factor"),
        architecture=r.text("architecture"),
        memory_gb=r.num("memory_gb"),
        mem_bw_gbs=r.num("mem_bw_gbs"),
        fp16_tflops=r.num("fp16_tflops"),
        tdp_w=r.num("tdp_w"),
        die_area_mm2=r.num("die_area_mm2"),
        process_nm=r.int("process_nm"),
        capex_usd=r.num("capex_usd"),
        datasheet=r.sources["tdp_w"],
        die_source=r.sources["die_area_mm2"],
        capex_source=r.sources["capex_usd"],
        architecture_source=r.sources["architecture"],
        idle_ref=r.text("idle_ref"),
        mem_packages=r.int("mem_packages"),
        act_node=r.text("act_node"),
        fab_location=r.text("fab_location"),
        boavizta_name=r.text("boavizta_name"),
        boavizta_derived=r.text("boavizta_derived"),
    )


# --- CPUs ----------------------------------------------------------------------------------
#: One kind of die of a CPU package: (count, mm2 each, ACT node, fab location).
Die = tuple[int, float, str, str]


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
    dies: tuple[Die, ...]
    die_source: str
    boavizta_name: str  # "" when boaviztapi's cpu_specs.csv has no die size for it


def parse_dies(text: str) -> tuple[Die, ...]:
    """``12 x 72 mm2 5nm taiwan + 1 x 397 mm2 7nm taiwan`` -> ((12, 72.0, "5nm", "taiwan"), ...)."""
    out = []
    for part in text.split(" + "):
        m = _DIE.fullmatch(part.strip())
        if m is None:
            raise ValueError(f"{part!r} is not 'N x MM2 mm2 NODE LOCATION'")
        out.append((int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)))
    return tuple(out)


def _cpu(r: Row) -> CpuSpec:
    try:
        dies = parse_dies(r.text("dies"))
    except ValueError as exc:
        raise SpecError(f"{r.where('dies')}: {exc}") from None
    return CpuSpec(
        cpu=r.text("cpu"),
        model=r.text("model"),
        generation_year=r.int("generation_year"),
        cores=r.int("cores"),
        tdp_w=r.num("tdp_w"),
        channels=r.int("channels"),
        mts=r.int("mts"),
        dram_type=r.text("dram_type"),
        price_usd=r.num("price_usd"),
        spec_source=r.sources["cores"],
        price_source=r.sources["price_usd"],
        dies=dies,
        die_source=r.sources["dies"],
        boavizta_name=r.text("boavizta_name"),
    )


# --- hosts ---------------------------------------------------------------------------------
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
    gpu_architectures: str  # ';'-separated GPU generations the slots accept
    rack_units: int
    n_psu: int
    chassis_metal_kg: float  # ACT materials model input (assumption)
    pcb_m2: float  # ACT PCB model input (assumption)
    capex_base_usd: float
    config_source: str  # sockets, DIMM, SSD counts, slots
    capex_base_source: str
    architectures_source: str


def _host(r: Row) -> HostSpec:
    ints: tuple[str, ...] = ("min_sockets", "max_sockets", "min_dimms", "max_dimms", "ssd_tb")
    ints += ("min_ssds", "max_ssds", "gpu_slots", "rack_units", "n_psu")
    return HostSpec(
        host=r.text("host"),
        cpu=r.text("cpu"),
        **{c: r.int(c) for c in ints},
        gpu_form_factor=r.text("gpu_form_factor"),
        gpu_architectures=r.text("gpu_architectures"),
        chassis_metal_kg=r.num("chassis_metal_kg"),
        pcb_m2=r.num("pcb_m2"),
        capex_base_usd=r.num("capex_base_usd"),
        config_source=r.sources["min_sockets"],
        capex_base_source=r.sources["capex_base_usd"],
        architectures_source=r.sources["gpu_architectures"],
    )


# --- DIMMs and SSDs ------------------------------------------------------------------------
@dataclass(frozen=True)
class DimmSpec:
    """One DRAM type: the GreenSKU DIMM entry it uses, its IC count and price."""

    dram_type: str
    greensku_generation: str  # DRAM.yaml generation key (DDR5, DDR4)
    greensku_size: str  # DRAM.yaml size (64GB, 32GB)
    ics_per_dimm: int
    capex_usd: float
    ics_source: str
    price_source: str


@dataclass(frozen=True)
class SsdSpec:
    """One SSD drive size and its price."""

    ssd_tb: int
    capex_usd: float
    price_source: str


@dataclass(frozen=True)
class Specs:
    """All hardware spec tables, keyed by item name."""

    gpus: dict[str, GpuSpec]
    cpus: dict[str, CpuSpec]
    hosts: dict[str, HostSpec]
    dimms: dict[str, DimmSpec]
    ssds: dict[int, SsdSpec]


def _keyed(rows: list[Row], key: str, make: object) -> dict:
    out: dict = {}
    for r in rows:
        item = make(r)  # type: ignore[operator]
        k = getattr(item, key)
        if k in out:
            raise SpecError(f"{r.where(key)}: duplicate {key} {k!r}")
        out[k] = item
    return out


def load_specs(folder: Path = SPECS_DIR) -> Specs:
    """Read and check every hardware spec table of ``folder``."""
    gpus = _keyed(read_table("gpus.csv", folder), "gpu", _gpu)
    cpus = _keyed(read_table("cpus.csv", folder), "cpu", _cpu)
    hosts = _keyed(read_table("hosts.csv", folder), "host", _host)
    dimms = _keyed(
        read_table("dimms.csv", folder),
        "dram_type",
        lambda r: DimmSpec(
            r.text("dram_type"),
            r.text("greensku_generation"),
            r.text("greensku_size"),
            r.int("ics_per_dimm"),
            r.num("capex_usd"),
            r.sources["ics_per_dimm"],
            r.sources["capex_usd"],
        ),
    )
    ssds = _keyed(
        read_table("ssds.csv", folder),
        "ssd_tb",
        lambda r: SsdSpec(r.int("ssd_tb"), r.num("capex_usd"), r.sources["capex_usd"]),
    )
    for h in hosts.values():
        where = f"hosts.csv: host {h.host!r}"
        if h.cpu not in cpus:
            raise SpecError(f"{where}.cpu: {h.cpu!r} is not a row of cpus.csv")
        if cpus[h.cpu].dram_type not in dimms:
            raise SpecError(f"{where}: dram_type {cpus[h.cpu].dram_type!r} not in dimms.csv")
        if h.ssd_tb not in ssds:
            raise SpecError(f"{where}.ssd_tb: {h.ssd_tb} TB is not a row of ssds.csv")
    for g in gpus.values():
        if g.idle_ref not in gpus:
            raise SpecError(f"gpus.csv: gpu {g.gpu!r}.idle_ref: {g.idle_ref!r} is not a GPU row")
    return Specs(gpus, cpus, hosts, dimms, ssds)

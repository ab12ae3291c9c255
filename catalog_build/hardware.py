r"""Build the hardware, embodied-carbon and grid tables of the bundled catalog (``models/``).

Run from the repository root::

    python -m catalog_build hardware [--shared DIR] [--out models]

``--shared`` defaults to ``$ECOSERVE_SHARED_DATA`` if set, else ``../shared/data`` relative to
the repository root; ``--out`` to ``models`` in the repository root. The builder is
deterministic: re-running it on the same inputs reproduces the shipped CSVs byte for byte (a
test checks this).

Outputs (format: ``docs/catalog-format.md``): ``gpus.csv``, ``hosts.csv``, ``embodied.csv``,
``grid_regions.csv``, ``grid_countries.csv`` and ``licenses/`` (plain copies of the licence
files of the converted sources).

Public spec numbers (TDP, memory, bandwidth, TFLOPs, die area, node, launch year, rough price)
are typed in ``catalog_build/specs/`` (:mod:`catalog_build.specs`); every row's ``source``
names, per group of columns, where each number comes from
(``[col,col] reference; [col] reference``), and the builder carries those groups into the
``source`` of ``gpus.csv`` and ``hosts.csv``.

Embodied carbon (``embodied.csv``) is built by :mod:`catalog_build.embodied`.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from catalog_build import DEFAULT_OUT, default_shared_dir, host_power
from catalog_build.embodied import build_embodied
from catalog_build.shared import Shared, _round
from catalog_build.specs import Specs, load_specs
from ecoserve_opt.perf.power_cap import POWER_CAPS

GPU_LIFETIME_SOURCE = "assumption, EcoServe/industry practice 4-6 y"
GPU_LIFETIME_YEARS = 5
# power columns written in place (the others are appended before ``source``)
HOST_POWER_IN_PLACE = ("cpu_idle_w", "dimm_w", "ssd_w", "base_w")


def _src(*groups: tuple[Iterable[str], str]) -> str:
    """Format ``[col,col] reference; [col] reference``."""
    return "; ".join(f"[{','.join(cols)}] {text}" for cols, text in groups)


def build_gpus(shared: Shared, specs: Specs | None = None) -> pd.DataFrame:
    """gpus.csv: one row per GPU SKU."""
    gpus = (specs or load_specs()).gpus
    idle = shared.splitwise["idle_power"]
    rows = []
    for g in gpus.values():
        if g.gpu in idle:
            idle_w = float(idle[g.gpu])
            idle_src = "splitwise-sim configs/power_model (measured idle)"
        elif g.gpu in POWER_CAPS:  # a capped variant idles as its base GPU
            idle_w = float(idle[POWER_CAPS[g.gpu].base])
            idle_src = (
                f"splitwise-sim measured idle of {POWER_CAPS[g.gpu].base} (the same GPU; "
                "a power cap does not change idle power)"
            )
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

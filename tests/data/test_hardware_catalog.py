"""The bundled hardware, embodied-carbon and grid tables against the contract and their sources."""

from __future__ import annotations

import csv
import importlib.metadata
import json
import math
import re
from itertools import combinations
from pathlib import Path

import pandas as pd
import pytest
import yaml

from catalog_build import default_shared_dir

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
# ../shared/data, or $ECOSERVE_SHARED_DATA (the catalog build's default)
SHARED = default_shared_dir()
FILES = (
    "gpus.csv",
    "hosts.csv",
    "embodied.csv",
    "grid_regions.csv",
    "grid_countries.csv",
    "host_components.csv",
)

GPU_IDS = {
    "h100-80gb",
    "h100-80gb-pcap",  # the H100 capped at 350 W (ecoserve_opt/perf/power_cap.py)
    "a100-80gb",
    "a100-40gb",
    "l40s",
    "l4",
    "a10g",
    "v100-32gb",
    "t4",
    "h200-141gb",
    "b200-180gb",
    "mi300x-192gb",
}
GPU_FORM = {
    "h200-141gb": "sxm",
    "b200-180gb": "sxm",
    "mi300x-192gb": "oam",
    "h100-80gb": "sxm",
    "h100-80gb-pcap": "sxm",
    "a100-80gb": "sxm",
    "a100-40gb": "sxm",
    "v100-32gb": "sxm",
    "l40s": "pcie",
    "l4": "pcie",
    "a10g": "pcie",
    "t4": "pcie",
}
HOST_CPU = {
    "genoa-8sxm": "genoa",
    "genoa-4pcie": "genoa",
    "bergamo-cpu": "bergamo",
    "rome-8sxm": "rome",
    "icelake-4pcie": "icelake",
    "skylake-4pcie": "skylake",
    "spr-8sxm": "sapphirerapids",
    "emr-4pcie": "emeraldrapids",
    "turin-8sxm": "turin",
    "turin-8oam": "turin",
}
SOURCES = ("act", "greensku", "boavizta")


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("shared field data (../shared/data) not available")
    return SHARED


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(MODELS / name, keep_default_na=False, na_values=[""])


def _contract_columns() -> dict[str, list[str]]:
    """Column names per file from the table in docs/catalog-format.md."""
    text = (REPO / "docs" / "catalog-format.md").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*`(\w+\.csv)`\s*\|(.*?)\|(.*)\|\s*$", line)
        if not m:
            continue
        keys = re.findall(r"`(\w+)`", m.group(2))
        cols, depth, cur = [], 0, ""
        for ch in m.group(3):  # split on commas outside parentheses
            depth += ch == "("
            depth -= ch == ")"
            if ch == "," and depth == 0:
                cols.append(cur)
                cur = ""
            else:
                cur += ch
        cols.append(cur)
        names = [re.match(r"\s*`?(\w+)", c).group(1) for c in cols if c.strip()]
        out[m.group(1)] = keys + [n for n in names if n not in keys]
    return out


@pytest.mark.parametrize("name", FILES)
def test_columns_follow_contract(name: str) -> None:
    contract = _contract_columns()
    assert list(_read(name).columns) == contract[name]


def test_gpu_ids_and_form_factors() -> None:
    gpus = _read("gpus.csv").set_index("gpu")
    assert set(gpus.index) == GPU_IDS
    assert gpus["form_factor"].to_dict() == GPU_FORM
    assert (gpus["idle_w"] < gpus["tdp_w"]).all()
    assert (gpus["idle_w"] > 0).all()
    assert (gpus["lifetime_years"] == 5).all()
    # generations ordered as released: H100 newer and faster than A100, A100 than V100
    assert gpus.loc["h100-80gb", "mem_bw_gbs"] > gpus.loc["a100-80gb", "mem_bw_gbs"]
    assert gpus.loc["a100-80gb", "fp16_tflops"] > gpus.loc["v100-32gb", "fp16_tflops"]
    assert gpus.loc["a100-40gb", "memory_gb"] == 40
    # newer generations (issue 14): H200 = H100 die with more, faster HBM; B200 faster still
    assert gpus.loc["h200-141gb", "fp16_tflops"] == gpus.loc["h100-80gb", "fp16_tflops"]
    assert gpus.loc["h200-141gb", "mem_bw_gbs"] > gpus.loc["h100-80gb", "mem_bw_gbs"]
    assert gpus.loc["b200-180gb", "fp16_tflops"] > 2 * gpus.loc["h100-80gb", "fp16_tflops"]
    assert (gpus.loc[["h200-141gb", "b200-180gb", "mi300x-192gb"], "generation_year"] >= 2024).all()


def test_gpu_idle_from_splitwise(shared: Path) -> None:
    power = yaml.safe_load((shared / "perf" / "splitwise_power_constant.yaml").read_text())
    gpus = _read("gpus.csv").set_index("gpu")
    for gpu, idle in power["idle_power"].items():
        assert gpus.loc[gpu, "idle_w"] == idle
        assert "splitwise" in gpus.loc[gpu, "source"]


def test_host_ids_cpus_and_shape() -> None:
    hosts = _read("hosts.csv").set_index("host")
    assert hosts["cpu"].to_dict() == HOST_CPU
    assert hosts["generation_year"].nunique() >= 3
    cpu_only = hosts.loc["bergamo-cpu"]
    assert cpu_only["gpu_slots"] == 0
    assert cpu_only["gpu_form_factor"] == "none"
    assert hosts.loc[["genoa-8sxm", "rome-8sxm"], "gpu_form_factor"].eq("sxm").all()
    assert hosts.loc[["genoa-8sxm", "rome-8sxm", "spr-8sxm"], "gpu_slots"].eq(8).all()
    assert hosts.loc[["genoa-4pcie", "icelake-4pcie", "skylake-4pcie"], "gpu_slots"].eq(4).all()
    for lo, hi in (("min_sockets", "max_sockets"), ("min_dimms", "max_dimms")):
        assert (hosts[lo] >= 1).all()
        assert (hosts[lo] < hosts[hi]).all()
    assert (hosts["min_ssds"] < hosts["max_ssds"]).all()
    assert hosts["max_sockets"].le(2).all()
    assert (hosts["cpu_idle_w"] < hosts["cpu_tdp_w"]).all()
    assert (hosts["lifetime_years"] == 6).all()
    # the over-provisioned SKU the paper criticises vs the reduced host it allows
    assert (hosts["max_dimms"] >= 4 * hosts["min_dimms"]).all()
    assert set(hosts["dram_type"]) == {"ddr5", "ddr4"}
    assert (hosts.loc[hosts["dram_type"] == "ddr5", "dimm_gb"] == 64).all()
    assert (hosts.loc[hosts["dram_type"] == "ddr4", "dimm_gb"] == 32).all()


def test_host_numbers_from_greensku(shared: Path) -> None:
    gs = shared / "embodied" / "greensku"
    params = yaml.safe_load((gs / "params.yaml").read_text())
    ssd = yaml.safe_load((gs / "SSD.yaml").read_text())
    ssd_w = {int(s["size"][:-2]): float(s["power"][:-1]) for s in ssd[0]["sizes"]}
    hosts = _read("hosts.csv")
    assert (hosts["lifetime_years"] * 12 == params["lifetime"]).all()
    for h in hosts.itertuples():
        # GreenSKU's SSD.yaml power is a nameplate; a drive in service is charged its
        # active idle, below it (tests/data/test_host_power.py checks the public range)
        assert h.ssd_w < ssd_w[h.ssd_tb]
    # channels x MT/s x 8 B: Genoa 12 x 4800, Rome/Ice Lake 8 x 3200, Skylake 6 x 2666
    bw = hosts.set_index("cpu")["mem_bw_gbs_per_socket"].to_dict()
    assert bw["genoa"] == pytest.approx(12 * 4800 * 8 / 1000)
    assert bw["rome"] == pytest.approx(8 * 3200 * 8 / 1000)
    assert bw["skylake"] == pytest.approx(6 * 2666 * 8 / 1000)


@pytest.mark.parametrize("name", FILES)
def test_every_row_has_a_source(name: str) -> None:
    df = _read(name)
    assert df["source"].astype(str).str.strip().ne("").all()
    assert df["source"].notna().all()


@pytest.mark.parametrize("name", ["gpus.csv", "hosts.csv"])
def test_every_numeric_cell_is_sourced(name: str) -> None:
    """Each numeric column is named in a ``[col,...] reference`` group of the row's source."""
    df = _read(name)
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    assert numeric
    for _, row in df.iterrows():
        groups = re.findall(r"\[([\w,]+)\]\s*([^;\[]+)", row["source"])
        sourced = {col: text.strip() for cols, text in groups for col in cols.split(",")}
        for col in numeric:
            assert not pd.isna(row[col]), (row.iloc[0], col)
            assert sourced.get(col), f"{name} {row.iloc[0]}: no source for {col}"


def test_no_machine_paths_in_outputs() -> None:
    for name in FILES:
        assert str(REPO.parent) not in (MODELS / name).read_text(encoding="utf-8")


# --- embodied -----------------------------------------------------------------------------


def _embodied_items() -> set[tuple[str, str]]:
    gpus, hosts = _read("gpus.csv"), _read("hosts.csv")
    return (
        {("gpu", g) for g in gpus["gpu"]}
        | {("cpu", c) for c in hosts["cpu"]}
        | {("dram", d) for d in hosts["dram_type"]}
        | {("ssd", "ssd")}
        | {("host_base", h) for h in hosts["host"]}
    )


def test_embodied_has_three_sources_per_item() -> None:
    emb = _read("embodied.csv")
    per = {"gpu": "unit", "cpu": "socket", "dram": "gb", "ssd": "tb", "host_base": "host"}
    assert not emb.duplicated(["kind", "item", "embodied_source"]).any()
    got = {(k, i) for k, i in zip(emb["kind"], emb["item"], strict=True)}
    assert got == _embodied_items()
    for (kind, item), grp in emb.groupby(["kind", "item"]):
        # DRAM, SSD and host bases also have a whole-part LCA row (host_embodied_method)
        extra = ["lca"] if kind in ("dram", "ssd", "host_base") else []
        assert sorted(grp["embodied_source"]) == sorted([*SOURCES, *extra]), (kind, item)
        assert (grp["per"] == per[kind]).all()
        assert (grp["kgco2e"] > 0).all()
        assert set(grp["method"]) <= {"direct", "derived"}
        derived = grp[grp["method"] == "derived"]
        assert derived["source"].str.contains("derived").all()


def test_embodied_sources_disagree() -> None:
    """The sources are independent models: no item gets the same figure from two of them."""
    emb = _read("embodied.csv")
    for (kind, item), grp in emb.groupby(["kind", "item"]):
        kg = dict(zip(grp["embodied_source"], grp["kgco2e"], strict=True))
        for a, b in combinations(SOURCES, 2):
            assert not math.isclose(kg[a], kg[b], rel_tol=5e-3), (kind, item, a, b)
    gpu = emb[emb["kind"] == "gpu"].pivot(index="item", columns="embodied_source", values="kgco2e")
    # an H100 card: silicon-only ACT << GreenSKU-derived << boavizta (board, VRAM wafer area)
    h100 = gpu.loc["h100-80gb"]
    assert 10 < h100["act"] < 100
    assert 100 < h100["greensku"] < 300
    assert 300 < h100["boavizta"] < 800
    assert (gpu.max(axis=1) / gpu.min(axis=1) > 3).all()


def test_embodied_direct_values_match_source_files(shared: Path) -> None:
    gs = shared / "embodied" / "greensku"
    dram = yaml.safe_load((gs / "DRAM.yaml").read_text())
    ddr5 = dram["DDR5"]["frequencies"][0]["sizes"][0]
    cpu = {
        t["type"].lower(): t["core_counts"][0]
        for t in yaml.safe_load((gs / "CPU.yaml").read_text())[0]["types"]
    }
    ssd4 = next(
        s for s in yaml.safe_load((gs / "SSD.yaml").read_text())[0]["sizes"] if s["size"] == "4TB"
    )
    server = {s["type"]: s["items"] for s in yaml.safe_load((gs / "server.yaml").read_text())}
    nic = yaml.safe_load((gs / "NIC.yaml").read_text())["bandwidths"][0]["carbon"]
    act_ssd = yaml.safe_load((shared / "embodied" / "act" / "ssd_ssd_seagate.yaml").read_text())

    emb = _read("embodied.csv").set_index(["kind", "item", "embodied_source"])["kgco2e"]
    assert emb["dram", "ddr5", "greensku"] == pytest.approx(ddr5["carbon"] / 64, abs=1e-4)
    assert emb["cpu", "bergamo", "greensku"] == pytest.approx(cpu["bergamo"]["carbon"])
    assert emb["ssd", "ssd", "greensku"] == pytest.approx(ssd4["carbon"] / 4, abs=1e-4)
    two_u = server["Server-2U"]
    assert emb["host_base", "genoa-4pcie", "greensku"] == pytest.approx(
        two_u["server"]["carbon"] + two_u["fan"]["carbon"] + nic, abs=1e-4
    )
    assert emb["ssd", "ssd", "act"] == pytest.approx(
        float(act_ssd["seagate_nytro_3530"].split()[0])
    )


def test_embodied_act_formula_for_h100(shared: Path) -> None:
    """ACT: 814 mm2 at 5 nm in Taiwan, 80 GB DRAM at 65 g/GB, 6 packages of 150 g."""
    act = shared / "embodied" / "act"

    def num(name: str, key: str) -> float:
        return float(str(yaml.safe_load((act / name).read_text())[key]).split()[0])

    ci_file = (act / "carbon_intensity_location.yaml").read_text().strip()
    ci = num(f"carbon_intensity_{ci_file}", "taiwan")
    gpa = (num("logic_gpa_95.yaml", "5nm") + num("logic_gpa_99.yaml", "5nm")) / 2
    cpa = (ci * num("logic_epa.yaml", "5nm") + gpa + num("logic_materials.yaml", "5nm")) / 0.875
    expected = 8.14 * cpa / 1000 + 80 * num("dram_dram_hynix.yaml", "ddr4_10nm") / 1000 + 6 * 0.15
    emb = _read("embodied.csv").set_index(["kind", "item", "embodied_source"])["kgco2e"]
    assert emb["gpu", "h100-80gb", "act"] == pytest.approx(expected, abs=1e-3)


def test_boavizta_rows_name_their_version_and_nothing_is_copied() -> None:
    emb = _read("embodied.csv")
    boa = emb[emb["embodied_source"] == "boavizta"]
    assert boa["source"].str.match(r"(derived: )?boaviztapi \d+\.\d+").all()
    shipped = {p.name for p in MODELS.rglob("*")}
    assert not shipped & {"factors.yml", "gpu_specs.csv", "cpu_specs.csv", "ram_manufacture.csv"}


# --- grid ---------------------------------------------------------------------------------


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def test_grid_regions_equal_gcp_files(shared: Path) -> None:
    ours = _read("grid_regions.csv")
    assert (ours["provider"] == "gcp").all()
    years = sorted(int(p.stem) for p in (shared / "grid" / "gcp").glob("*.csv"))
    assert sorted(ours["year"].unique()) == years
    for year in years:
        with (shared / "grid" / "gcp" / f"{year}.csv").open(encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r][1:]
        mine = ours[ours["year"] == year].reset_index(drop=True)
        assert len(mine) == len(rows), year
        for r, m in zip(rows, mine.itertuples(), strict=True):
            region, location, cfe, ci = (x.strip() for x in r)
            assert (m.region, m.location) == (region, location)
            assert m.gco2e_per_kwh == float(ci)
            if _num(cfe) is None:
                assert pd.isna(m.cfe_share)
            else:
                assert m.cfe_share == float(cfe)
            assert f"{year}.csv" in m.source


def test_grid_countries_equal_codecarbon(shared: Path) -> None:
    data = json.loads((shared / "grid" / "codecarbon" / "global_energy_mix.json").read_text())
    ours = _read("grid_countries.csv").set_index("country")
    expected = {k: v for k, v in data.items() if v.get("carbon_intensity") is not None}
    assert set(ours.index) == set(expected)
    for code, v in expected.items():
        assert ours.loc[code, "gco2e_per_kwh"] == float(v["carbon_intensity"])
        assert ours.loc[code, "year"] == v["year"]
        assert ours.loc[code, "name"] == v["country_name"]


def test_licences_are_plain_copies(shared: Path) -> None:
    from catalog_build.hardware import LICENSES

    for rel, name in LICENSES.items():
        assert (MODELS / "licenses" / name).read_bytes() == (shared / rel).read_bytes()


def test_builder_reproduces_shipped_files(shared: Path, tmp_path: Path) -> None:
    pytest.importorskip("boaviztapi")
    from catalog_build.hardware import build_all

    installed = importlib.metadata.version("boaviztapi")
    boa = _read("embodied.csv").query("embodied_source == 'boavizta'")["source"].iloc[0]
    if not boa.startswith(f"boaviztapi {installed} "):
        pytest.skip(f"shipped boavizta rows come from another boaviztapi than {installed}")

    build_all(shared, tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (MODELS / name).read_bytes(), name
    shipped = sorted(p.name for p in (MODELS / "licenses").iterdir())
    assert sorted(p.name for p in (tmp_path / "licenses").iterdir()) == shipped

"""Host component power (issue 22): idle within public ranges, rising with load, reused
DRAM/SSD power and host embodied carbon taken from the catalog."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from catalog_build.host_power import load_specs
from ecoserve_opt.catalog import load_catalog
from ecoserve_opt.catalog.host_power import (
    CHANNEL_GBS,
    DIMM_VARIANT,
    host_power_w,
    reused_power_kw,
)
from ecoserve_opt.data import build_data
from ecoserve_opt.exceptions import CatalogError, ScenarioError
from ecoserve_opt.io.yaml_loader import validate_dict
from tests.conftest import TINY, solve_dict

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
HOSTS = pd.read_csv(MODELS / "hosts.csv").set_index("host")
SPECS = pd.read_csv(MODELS / "host_components.csv").set_index(["component", "variant"])
RACK_UNITS = {
    "genoa-8sxm": 8,
    "rome-8sxm": 6,
    "genoa-4pcie": 2,
    "icelake-4pcie": 2,
    "skylake-4pcie": 2,
    "bergamo-cpu": 1,
    "spr-8sxm": 8,
    "emr-4pcie": 2,
    "turin-8sxm": 10,
    "turin-8oam": 8,
}


def _rng(component: str, variant: str) -> tuple[float, float]:
    r = SPECS.loc[(component, variant)]
    return float(r["idle_lo"]), float(r["idle_hi"])


def _within(value: float, rng: tuple[float, float]) -> bool:
    return rng[0] - 1e-9 <= value <= rng[1] + 1e-9


@pytest.mark.parametrize("host", sorted(HOSTS.index))
def test_idle_component_power_within_public_range(host: str) -> None:
    """Every host component's idle (in service, no load) power lies in the documented
    public range of docs/data.md, and no component is charged its full-load power."""
    h = HOSTS.loc[host]
    dimm = DIMM_VARIANT[h["dram_type"]]
    ssd = f"e1s-{int(h['ssd_tb'])}tb"
    assert _within(h["dimm_w"], _rng("dimm", dimm))
    assert _within(h["ssd_w"], _rng("ssd", ssd))
    assert _within(h["nic_w"], _rng("nic", "100g"))
    assert _within(h["board_w"], _rng("board", "default"))
    fan = "1u" if RACK_UNITS[host] == 1 else "2u"
    per_2u = max(1.0, RACK_UNITS[host] / 2)  # taller chassis scale the 2U fan bank
    assert _within(h["fan_idle_w"] / per_2u, _rng("fan", fan))
    assert _within(h["cpu_idle_w"] / h["cpu_tdp_w"], _rng("factor", "cpu_idle_frac"))
    assert _within(h["psu_loss_frac"], _rng("factor", "psu_loss_frac"))
    assert _within(h["fan_w_per_w"], _rng("factor", "fan_w_per_w"))
    # idle is below full load for every load-dependent part (no nameplate at idle)
    assert h["dimm_w"] < h["dimm_max_w"]
    assert h["ssd_w"] < h["ssd_max_w"]
    assert h["nic_w"] < SPECS.loc[("nic", "100g"), "max"]
    assert h["base_w"] == pytest.approx(h["board_w"] + h["nic_w"] + h["fan_idle_w"])
    assert h["dram_w_per_gbs"] == pytest.approx(
        (h["dimm_max_w"] - h["dimm_w"]) / CHANNEL_GBS[h["dram_type"]], rel=1e-4
    )


@pytest.mark.parametrize("host", sorted(HOSTS.index))
def test_power_rises_with_load(host: str) -> None:
    h: dict[str, Any] = HOSTS.loc[host].to_dict()
    idle = host_power_w(h)
    for key in ("cpu", "dram", "ssd"):
        lo, hi = host_power_w(h, {key: 0.3}), host_power_w(h, {key: 1.0})
        assert idle["total"] < lo["total"] < hi["total"], key
    gpu = host_power_w(h, {"gpu_dyn_w": 1000.0})
    # the GPUs' load raises the fans and the PSU loss as well as the GPUs' own power
    assert gpu["fans"] == pytest.approx(idle["fans"] + h["fan_w_per_w"] * 1000.0)
    assert gpu["psu"] > idle["psu"]
    assert gpu["total"] > idle["total"] + 1000.0
    full = host_power_w(h, {"cpu": 1.0, "dram": 1.0})
    assert full["cpu"] == pytest.approx(h["cpu_tdp_w"] * h["max_sockets"])
    assert full["dram"] > idle["dram"] > 0


def test_spec_table_rejects_values_outside_their_range(tmp_path: Path) -> None:
    df = pd.read_csv(MODELS / "host_components.csv")
    df.loc[0, "idle"] = 99.0
    bad = tmp_path / "host_components.csv"
    df.to_csv(bad, index=False)
    with pytest.raises(ValueError, match=r"row 2 \(dimm ddr5-64gb\)\.idle: 99.0 outside"):
        load_specs(bad)


def test_models_table_is_the_sourced_spec() -> None:
    shipped = load_specs(MODELS / "host_components.csv")
    assert shipped.equals(load_specs())


# --- reused DRAM / SSD power from the catalog ---------------------------------------------


def test_reused_power_follows_the_catalog_table() -> None:
    dram, ssd, note = reused_power_kw(load_catalog().host_components)  # type: ignore[arg-type]
    ddr4 = SPECS.loc[("dimm", "ddr4-32gb"), "idle"]
    cxl = SPECS.loc[("cxl_controller", "default"), "idle"]
    assert dram == pytest.approx((ddr4 + cxl / 8) / 32 / 1e3)
    assert ssd == pytest.approx(SPECS.loc[("ssd", "reused-1tb"), "idle"] / 1e3)
    assert "cxl_controller" in note


def _reuse_dict(catalog: Path) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load((TINY / "base.yaml").read_text())
    data["catalog"] = str(catalog)
    data["hardware"].update(gpus=["gpu-a"], hosts=["host-r"])
    data["grid"]["intensity"] = 10
    data["host_needs"]["dram_per_gpu_memory"] = 4.0
    data["pillars"].update(reduce=True, reuse=True)
    data["inventory"] = {"dram_gb": 128}
    return data


@pytest.mark.milp
def test_changing_the_catalog_reused_dram_power_changes_the_model(tmp_path: Path) -> None:
    """tests/formulation/test_pillars.py's reused-DRAM case: 128 GB at the fixture's
    11.85 W per 32 GB = 47.4 W. Doubling the catalog's DDR4 DIMM power adds another
    47.4 W x 8760 h x 0.01 kg/kWh = 4.15224 kg (the pool is still worth using)."""
    cat = tmp_path / "catalog"
    shutil.copytree(TINY / "catalog", cat)
    base = solve_dict(_reuse_dict(cat))
    comp = pd.read_csv(cat / "host_components.csv")
    comp.loc[comp["variant"] == "ddr4-32gb", ["idle", "max", "idle_hi", "max_hi"]] = 23.7
    comp.to_csv(cat / "host_components.csv", index=False)
    _fresh(cat)  # the catalog is cached per folder
    more = solve_dict(_reuse_dict(cat))
    assert more.carbon - base.carbon == pytest.approx(4.15224, rel=1e-6)
    assert more.tables["deployment"].iloc[0]["reused_dram_gb"] == pytest.approx(128.0)


def test_reuse_without_the_component_table_names_the_file(tmp_path: Path) -> None:
    cat = tmp_path / "catalog"
    shutil.copytree(TINY / "catalog", cat)
    (cat / "host_components.csv").unlink()
    with pytest.raises(CatalogError, match="host_components.csv"):
        build_data(validate_dict(_reuse_dict(cat)))


# --- host embodied method -----------------------------------------------------------------


def _default_catalog_dict(**extra: Any) -> dict[str, Any]:
    return {
        "grid": {"intensity": 300},
        "llms": {"llama3-8b": {"offline": {"tokens_per_day": 1e8}}},
        "hardware": {"gpus": ["l4"], "hosts": ["genoa-4pcie"], "tp_degrees": [1]},
        "embodied_source": "greensku",
        **extra,
    }


@pytest.mark.parametrize(
    ("method", "source"),
    [("source", "greensku"), ("fab_only", "act"), ("whole_part", "lca")],
)
def test_host_embodied_method_picks_dram_ssd_and_base_rows(method: str, source: str) -> None:
    d = build_data(validate_dict(_default_catalog_dict(host_embodied_method=method)))
    h = d.hosts["genoa-4pcie"]
    emb = pd.read_csv(MODELS / "embodied.csv").set_index(["kind", "item", "embodied_source"])
    kg = emb["kgco2e"]
    assert h.emb_dram_gb == pytest.approx(kg[("dram", "ddr5", source)])
    assert h.emb_ssd_tb == pytest.approx(kg[("ssd", "ssd", source)])
    assert h.emb_base == pytest.approx(kg[("host_base", "genoa-4pcie", source)])
    # CPUs and GPUs always follow embodied_source
    assert h.emb_cpu == pytest.approx(kg[("cpu", "genoa", "greensku")])
    assert d.gpus["l4"].embodied_kg == pytest.approx(kg[("gpu", "l4", "greensku")])


def test_whole_part_ssd_is_several_times_the_greensku_figure() -> None:
    """As documented in docs/data.md: whole-drive LCAs are 6-9x GreenSKU's 17.3 kg/TB."""
    kg = pd.read_csv(MODELS / "embodied.csv").set_index(["kind", "item", "embodied_source"])
    ratio = kg.loc[("ssd", "ssd", "lca"), "kgco2e"] / kg.loc[("ssd", "ssd", "greensku"), "kgco2e"]
    assert 6 < ratio < 10


def test_unknown_host_embodied_method_names_the_field() -> None:
    with pytest.raises(ScenarioError, match="host_embodied_method"):
        validate_dict(_default_catalog_dict(host_embodied_method="cradle"))


# --- CPU inference: memory traffic drives DIMM power ---------------------------------------


def test_cpu_serving_power_includes_memory_traffic(tmp_path: Path) -> None:
    src = load_catalog().path
    cat = tmp_path / "catalog"
    shutil.copytree(src, cat)
    sc = _default_catalog_dict(
        hardware={"gpus": ["l4"], "hosts": ["bergamo-cpu"], "tp_degrees": [1]},
        pillars={"reuse_host_cpus": True},
        catalog=str(cat),
    )
    d = build_data(validate_dict(sc))
    assert d.cpu_points
    hosts = pd.read_csv(cat / "hosts.csv")
    hosts["dram_w_per_gbs"] = 0.0
    hosts.to_csv(cat / "hosts.csv", index=False)
    d0 = build_data(validate_dict({**sc, "catalog": str(cat)}), catalog=_fresh(cat))
    for k in d.cpu_points:
        assert d.cpu_dyn_kw[k] > d0.cpu_dyn_kw[k] > 0


def _fresh(folder: Path) -> Any:
    from ecoserve_opt.catalog import _load

    _load.cache_clear()
    return load_catalog(folder)


# --- sensitivity cases ---------------------------------------------------------------------


def test_catalog_variants_span_the_public_range(tmp_path: Path) -> None:
    from ecoserve_opt.host_sensitivity import catalog_variant

    src = load_catalog().path
    h = {
        p: pd.read_csv(catalog_variant(src, tmp_path / p, p) / "hosts.csv").set_index("host")
        for p in ("low", "central", "high", "greensku")
    }
    for col in ("dimm_w", "ssd_w", "base_w", "cpu_idle_w", "psu_loss_frac"):
        assert (h["low"][col] < h["central"][col]).all(), col
        assert (h["central"][col] < h["high"][col]).all(), col
    # the GreenSKU case reproduces the catalog before issue 22 (nameplate everywhere)
    old = h["greensku"]
    assert old.loc["genoa-8sxm", "dimm_w"] == 23.68
    assert old.loc["rome-8sxm", "dimm_w"] == 11.85
    assert old["ssd_w"].to_dict() == {
        k: (16.8 if v == 4 else 11.2) for k, v in old["ssd_tb"].to_dict().items()
    }
    base = {"genoa-8sxm": 504.0, "genoa-4pcie": 166.5, "bergamo-cpu": 129.0, "rome-8sxm": 391.5}
    for host, w in base.items():
        assert old.loc[host, "base_w"] == pytest.approx(w)
    assert (old["psu_loss_frac"] == 0).all()
    comp = pd.read_csv(tmp_path / "greensku" / "host_components.csv")
    dram, ssd, _ = reused_power_kw(comp.set_index(["component", "variant"]))
    assert (dram, ssd) == (pytest.approx(11.85e-3 / 32), pytest.approx(5.6e-3))


@pytest.mark.milp
def test_reduce_sensitivity_table() -> None:
    from ecoserve_opt.host_sensitivity import Case, reduce_sensitivity, to_markdown

    sc = validate_dict(
        _default_catalog_dict(
            hardware={"gpus": ["l4"], "hosts": ["genoa-4pcie"], "tp_degrees": [1]},
            time_slots=1,
        )
    )
    cases = (Case("central", "central", "source"), Case("nameplate", "greensku", "source"))
    t = reduce_sensitivity(sc, cases=cases)
    assert list(t["case"]) == ["central", "nameplate"]
    assert (t["saving_pct"] > 0).all()
    split = t["saving_operational_pct"] + t["saving_embodied_pct"]
    assert split.tolist() == pytest.approx([100.0, 100.0])
    # nameplate DIMM/SSD power makes the full SKU's DRAM costlier to run: Reduce saves more
    central, nameplate = t.itertuples()
    assert nameplate.saving_pct > central.saving_pct
    assert nameplate.dram_share_of_operational_pct > central.dram_share_of_operational_pct
    assert "| central |" in to_markdown(t)

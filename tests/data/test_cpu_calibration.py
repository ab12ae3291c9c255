"""CPU-socket roofline: calibration on published CPU measurements, held-out errors, power."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from catalog_build import fit_cpu as cc
from ecoserve_opt.perf import roofline as rf

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
DOC = ROOT / "docs" / "profiles.md"


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    return cc.load_points(MODELS)


@pytest.fixture(scope="module")
def llms() -> dict[str, rf.LLMSpec]:
    return cc.llm_specs(MODELS)


def test_points_are_cited_and_complete(points: pd.DataFrame, llms: dict) -> None:
    assert set(points["set"]) == {"calibration", "validation"}
    assert set(points["metric"]) <= set(cc.METRICS)
    assert set(points["isa_class"]) <= set(cc.ISA_CLASSES)
    for c in ("source_url", "source_title", "engine", "cpu_model", "note"):
        assert (points[c].str.len() > 3).all(), c
    assert set(points["precision"]) <= {"bf16", "f16"}
    assert points["source_url"].str.startswith("https://").all()
    assert (points["value"] > 0).all()
    assert (points["batch"] >= 1).all()
    assert set(points["llm"]) <= set(llms)
    # every ISA class the catalog's CPUs use has a calibration point
    cal = points[points["set"] == "calibration"]
    classes = {a.isa_class for a in rf.CPU_ARCH.values()}
    assert classes <= set(cal["isa_class"])
    # no measured key in both sets
    key = ["source_id", "llm", "cpu_model", "batch", "input_tokens", "output_tokens", "metric"]
    both = points.groupby(key)["set"].nunique()
    assert (both == 1).all()


def test_fit_reproduces_the_stored_constants(points: pd.DataFrame, llms: dict) -> None:
    got = cc.rounded(cc.fit(points, llms))
    assert got["mfu"] == rf.CPU_MFU
    assert got["mbu"] == rf.CPU_MBU
    assert got["decode_layer_ms"] == rf.CPU_DECODE_LAYER_MS


def test_fit_ignores_validation_rows(points: pd.DataFrame, llms: dict) -> None:
    """Changing a validation value cannot move the constants; a calibration value can."""
    base = cc.fit(points, llms)
    val = points.copy()
    val.loc[val["set"] == "validation", "value"] *= 3.0
    assert cc.fit(val, llms) == base
    cal = points.copy()
    i = cal.index[(cal["set"] == "calibration") & (cal["metric"] == "decode_tok_s")][0]
    cal.loc[i, "value"] *= 1.5
    assert cc.fit(cal, llms)["mbu"] != base["mbu"]


def test_calibration_points_reproduced(points: pd.DataFrame, llms: dict) -> None:
    """Decode has two points for two constants, AMX prefill and fp32 one point each: exact."""
    ev = cc.evaluate(points, llms)
    cal = ev[ev["set"] == "calibration"]
    exact = cal[(cal["metric"] != "prefill_tok_s") | (cal["isa_class"] == "fp32_simd")]
    assert exact["error"].abs().max() < 0.01


def test_documented_error_table_matches(points: pd.DataFrame, llms: dict) -> None:
    text = DOC.read_text(encoding="utf-8")
    begin, end = cc.DOC_MARKERS
    block = text[text.index(begin) + len(begin) : text.index(end)].strip()
    assert block == cc.report_markdown(cc.evaluate(points, llms)).strip()


def test_batch_effect_direction(points: pd.DataFrame, llms: dict) -> None:
    """Held-out AMX batch sweep: throughput rises with batch, in the data and the model,
    and the model overestimates large batches (documented: it favours the CPUs)."""
    ev = cc.evaluate(points, llms)
    sweep = ev[ev["source_id"] == "llama.cpp-issue-2555"].sort_values("batch")
    assert sweep["value"].is_monotonic_increasing
    assert sweep["model"].is_monotonic_increasing
    assert (sweep[sweep["batch"] >= 16]["error"] > 0).all()


def test_load_power_curve_and_marginal_power() -> None:
    """GreenSKU's curve: idle = its 10% point (0.2 x TDP), full load 0.95 x TDP; linear
    within 0.1 x TDP per 10% step, so the chord is the marginal power at any load."""
    assert rf.CPU_LOAD_POWER_CURVE[rf.CPU_IDLE_LOAD_PCT] == pytest.approx(0.2)
    assert pytest.approx(0.95) == rf.CPU_LOAD_POWER_FRACTION
    loads = sorted(rf.CPU_LOAD_POWER_CURVE)
    chord = (0.95 - 0.2) / 0.9
    for a, b in zip(loads, loads[1:], strict=False):
        slope = (rf.CPU_LOAD_POWER_CURVE[b] - rf.CPU_LOAD_POWER_CURVE[a]) / ((b - a) / 100)
        assert abs(slope - chord) <= 0.15
    assert rf.cpu_load_power_fraction(0.55) == pytest.approx((0.53 + 0.62) / 2)
    spec = rf.cpu_specs(pd.read_csv(MODELS / "hosts.csv"))["sapphirerapids"]
    assert rf.cpu_serving_power_w(spec) == pytest.approx(0.95 * 350)
    assert spec.idle_w == pytest.approx(0.2 * 350)


def test_amx_hosts_in_catalog() -> None:
    hosts = pd.read_csv(MODELS / "hosts.csv").set_index("host")
    emb = pd.read_csv(MODELS / "embodied.csv")
    for host, cpu in (("spr-8sxm", "sapphirerapids"), ("emr-4pcie", "emeraldrapids")):
        assert hosts.loc[host, "cpu"] == cpu
        assert rf.CPU_ARCH[cpu].isa_class == "amx"
        for kind, item in (("cpu", cpu), ("host_base", host)):
            got = emb[(emb["kind"] == kind) & (emb["item"] == item)]
            assert {"act", "greensku", "boavizta"} <= set(got["embodied_source"]), (kind, item)
    assert hosts.loc["spr-8sxm", "cores_per_socket"] == 56
    assert hosts.loc["spr-8sxm", "gpu_architectures"] == "hopper"
    assert "8480C" in hosts.loc["spr-8sxm", "source"]


def test_amx_prefill_beats_avx512_per_socket(llms: dict) -> None:
    """Calibrated: an AMX socket prefills faster than a Genoa socket, while decode follows the
    memory bandwidth (Genoa has 12 channels, Sapphire Rapids 8)."""
    specs = rf.cpu_specs(pd.read_csv(MODELS / "hosts.csv"))
    llm = llms["llama3-8b"]
    spr, genoa = specs["sapphirerapids"], specs["genoa"]
    assert rf.cpu_prefill_ms(llm, spr, 4, 512) < rf.cpu_prefill_ms(llm, genoa, 4, 512)
    assert rf.cpu_decode_ms(llm, spr, 1, 600) > rf.cpu_decode_ms(llm, genoa, 1, 600)

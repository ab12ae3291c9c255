"""Serving-engine generations: catalog rows per engine, scenario choice, the engine fit."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from catalog_build import fit_engines
from ecoserve_opt.catalog import load_catalog, select_engine
from ecoserve_opt.data import build_data
from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.io.yaml_loader import load_scenario, validate_dict
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import (
    ALLREDUCE_BUS_EFFICIENCY,
    ALLREDUCE_FIXED_MS,
    DEFAULT_ENGINE,
    ENGINES,
    TRTLLM_CALIBRATION,
)
from ecoserve_opt.perf.tp_comm import INTERCONNECT_GBS

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
DEFAULT = REPO / "scenarios" / "default.yaml"
KEY = ["llm", "gpu", "tp", "batch", "prompt_tokens"]


@pytest.fixture(scope="module")
def profiles() -> pd.DataFrame:
    return pd.read_csv(MODELS / "profiles.csv")


def test_every_engine_has_a_full_grid(profiles: pd.DataFrame) -> None:
    assert set(profiles["engine"]) == set(ENGINES)
    assert DEFAULT_ENGINE == "tensorrt-llm"
    on_grid = profiles[profiles["prompt_tokens"].isin([128, 512, 1024, 2048, 4096])]
    grids = {e: set(map(tuple, g[KEY].to_numpy())) for e, g in on_grid.groupby("engine")}
    sw = profiles[profiles["engine"] == "splitwise"]
    # same memory rule, same grid: every Splitwise key at a grid prompt length is also a
    # TensorRT-LLM key (the measured rows add prompt lengths 256 and 8192)
    assert grids["splitwise"] == grids["tensorrt-llm"]
    assert set(sw["method"]) == {"measured", "roofline"}
    assert set(profiles.loc[profiles["engine"] == "tensorrt-llm", "method"]) == {"roofline"}


def test_power_between_idle_and_tdp(profiles: pd.DataFrame) -> None:
    gpus = pd.read_csv(MODELS / "gpus.csv").set_index("gpu")
    p = profiles.join(gpus[["tdp_w", "idle_w"]], on="gpu")
    assert (p["power_w"] <= p["tdp_w"] + 1e-9).all()
    assert (p["power_w"] >= p["idle_w"] - 1e-9).all()


def test_trtllm_rows_are_the_engine_roofline(profiles: pd.DataFrame) -> None:
    llms = rf.llm_specs(pd.read_csv(MODELS / "llms.csv"))
    gpus = rf.gpu_specs(pd.read_csv(MODELS / "gpus.csv"))
    rows = profiles[profiles["engine"] == "tensorrt-llm"].sample(25, random_state=1)
    for r in rf.rows_of(rows):
        est = rf.estimate_gpu(
            llms[r.llm], gpus[r.gpu], r.tp, r.batch, r.prompt_tokens, cal=TRTLLM_CALIBRATION
        )
        assert r.ttft_ms == pytest.approx(est.ttft_ms, abs=1e-4)
        assert r.tpot_ms == pytest.approx(est.tpot_ms, abs=1e-4)


def test_allreduce_from_datasheet_bandwidth() -> None:
    """One decode step's TP cost: 2 all-reduces per layer, each the fixed latency plus the
    ring volume at the measured share of the one-way datasheet bandwidth."""
    llms = rf.llm_specs(pd.read_csv(MODELS / "llms.csv"))
    gpus = rf.gpu_specs(pd.read_csv(MODELS / "gpus.csv"))
    llm, gpu = llms["llama3-70b"], gpus["l40s"]
    cal = TRTLLM_CALIBRATION
    t1, _ = rf.gpu_decode_ms(llm, gpu, 4, 8, 1024.0, cal)
    no_comm = rf.Calibration(**{**asdict(cal), "comm_slowdown": 0.0, "allreduce_fixed_ms": 0.0})
    t0, _ = rf.gpu_decode_ms(llm, gpu, 4, 8, 1024.0, no_comm)
    one_way = 64e9 / 2 * ALLREDUCE_BUS_EFFICIENCY  # PCIe Gen4 x16, achieved bytes/s each way
    msg = 8 * llm.d_model * 2  # batch 8 tokens x d_model x 2 bytes
    per_ar = 2 * 3 / 4 * msg / one_way * 1e3 + ALLREDUCE_FIXED_MS
    assert t1 - t0 == pytest.approx(2 * llm.n_layers * per_ar, rel=1e-9)
    # tp = 1 has no communication at all
    assert rf.gpu_decode_ms(llm, gpus["h100-80gb"], 1, 8, 1024.0, cal) == pytest.approx(
        rf.gpu_decode_ms(llm, gpus["h100-80gb"], 1, 8, 1024.0, no_comm)
    )


def test_allreduce_constants_fit_the_measured_nccl_times() -> None:
    """The two communication constants are the fit on allreduce.csv (not on serving points),
    and they reproduce the measured all-reduce times within a median 25 %."""
    fixed, eff = fit_engines.fit_allreduce(MODELS)
    assert fixed == pytest.approx(ALLREDUCE_FIXED_MS, rel=2e-3)
    assert eff == pytest.approx(ALLREDUCE_BUS_EFFICIENCY, rel=2e-3)
    meas = fit_engines.load_allreduce(MODELS)
    assert set(meas["tp"]) == {2, 4, 8}
    assert meas["source_url"].str.startswith("https://github.com/microsoft/vidur/").all()
    one_way = meas["gpu"].map(lambda g: INTERCONNECT_GBS[g][0] * 1e9 / 2)
    ring = 2 * (meas["tp"] - 1) / meas["tp"] * meas["message_bytes"] / (eff * one_way) * 1e3
    err = ((fixed + ring) / meas["time_ms"] - 1).abs()
    assert err.median() < 0.25
    # large messages are bandwidth-bound: 64 MB takes at least 5x a 2 KB message
    big = meas[meas["message_bytes"] >= 64e6].set_index(["gpu", "tp"])["time_ms"]
    small = meas[meas["message_bytes"] <= 2048].set_index(["gpu", "tp"])["time_ms"]
    assert (big / small >= 5).all()


def test_scenario_engine_choice_changes_operating_points() -> None:
    data = load_scenario(DEFAULT)
    raw: dict[str, Any] = data.scenario.model_dump(mode="json")
    raw["catalog"] = str(MODELS)
    raw.pop("profiles")
    default = build_data(validate_dict(raw))
    raw["profiles"] = {"engine": "splitwise"}
    sw = build_data(validate_dict(raw))
    raw["profiles"] = {"engine": "tensorrt-llm"}
    trt = build_data(validate_dict(raw))
    common = set(default.cap) & set(trt.cap)
    assert common
    assert all(default.cap[k] == trt.cap[k] for k in common)
    assert any(abs(sw.cap[k] / trt.cap[k] - 1) > 0.05 for k in set(sw.cap) & set(trt.cap))


def test_unknown_engine_named_in_error(tiny_dict: dict[str, Any], catalog_copy: Any) -> None:
    prof = pd.read_csv(MODELS / "profiles.csv")
    cat = load_catalog(MODELS)
    with pytest.raises(ScenarioError) as exc:
        select_engine(cat.profiles.reset_index(), "vllm-0.1", "s.yaml")
    assert exc.value.path == "profiles.engine"
    assert "engine 'vllm-0.1' not in profiles.csv (has: ['splitwise', 'tensorrt-llm'])" in str(
        exc.value
    )
    # a catalog without the engine column: every row, and an explicit engine is an error
    assert "engine" not in pd.read_csv(Path(tiny_dict["catalog"]) / "profiles.csv").columns
    tiny = load_catalog(tiny_dict["catalog"]).profiles.reset_index()
    assert len(select_engine(tiny, None, "s.yaml")) == len(tiny)
    with pytest.raises(ScenarioError, match="has no 'engine' column"):
        select_engine(tiny, "tensorrt-llm", "s.yaml")
    assert len(prof) > 0


def test_profiles_section_forbids_extra_fields(tiny_dict: dict[str, Any]) -> None:
    tiny_dict["profiles"] = {"engin": "splitwise"}
    with pytest.raises(ScenarioError, match="profiles.engin"):
        validate_dict(tiny_dict)


def test_fit_reproduces_trtllm_constants() -> None:
    cal = fit_engines.fit_engine("tensorrt-llm", catalog=MODELS)
    stored = asdict(ENGINES["tensorrt-llm"].calibration)
    for k, v in asdict(cal).items():
        assert v == pytest.approx(stored[k], rel=2e-3, abs=1e-6), k

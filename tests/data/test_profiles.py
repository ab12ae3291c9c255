"""LLM and serving-profile tables: measured rows vs the Splitwise source, roofline checks."""

from __future__ import annotations

import filecmp
import math
import shutil
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from catalog_build import default_shared_dir
from catalog_build import fit_roofline as fr
from catalog_build import profiles as bp
from ecoserve_opt.perf import roofline as rf

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
# ../shared/data, or $ECOSERVE_SHARED_DATA (the catalog build's default)
SHARED = default_shared_dir()
KEY = ["llm", "gpu", "tp", "batch", "prompt_tokens"]
OUT_TOKENS = rf.PROFILE_OUTPUT_TOKENS


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("shared field data (../shared/data) not available")
    return SHARED


@pytest.fixture(scope="module")
def llms() -> pd.DataFrame:
    return pd.read_csv(MODELS / "llms.csv").set_index("llm")


@pytest.fixture(scope="module")
def gpus() -> pd.DataFrame:
    return pd.read_csv(MODELS / "gpus.csv").set_index("gpu")


@pytest.fixture(scope="module")
def profiles() -> pd.DataFrame:
    """The ``splitwise`` engine's rows (the ``tensorrt-llm`` ones: tests/data/test_engines.py)."""
    prof = pd.read_csv(MODELS / "profiles.csv")
    return prof[prof["engine"] == "splitwise"].reset_index(drop=True)


@pytest.fixture(scope="module")
def cpu_profiles() -> pd.DataFrame:
    return pd.read_csv(MODELS / "cpu_profiles.csv")


@pytest.fixture(scope="module")
def specs(llms: pd.DataFrame, gpus: pd.DataFrame) -> tuple[dict, dict]:
    return rf.llm_specs(llms), rf.gpu_specs(gpus)


def _source_means(shared: Path) -> pd.DataFrame:
    """Splitwise rows averaged per catalog key, computed directly with pandas."""
    raw = pd.read_csv(shared / "perf" / "splitwise_perf_model.csv")
    raw = raw[raw["hardware"].isin(["a100-80gb", "h100-80gb", "h100-80gb-pcap"])]
    g = raw.groupby(["model", "hardware", "tensor_parallel", "batch_size", "prompt_size"])
    out = g.agg(
        prompt_time=("prompt_time", "mean"),
        token_time=("token_time", "mean"),
        token_size=("token_size", "mean"),
    )
    out["avg_power"] = raw[raw["average_power"] > 0].groupby(g.keys)["average_power"].mean()
    out = out.reset_index()
    out.columns = [*KEY, "prompt_time", "token_time", "token_size", "avg_power"]
    return out


def _mem_gb(llms: pd.DataFrame, llm: str, tp: int, batch: int, context: float) -> float:
    r = llms.loc[llm]
    return (r.weights_gb + batch * context * r.kv_bytes_per_token / 1e9) / tp


# --- llms.csv -----------------------------------------------------------------------------------
def test_llms_table(llms: pd.DataFrame) -> None:
    assert set(llms.index) == {
        "llama3.2-1b",
        "llama3.2-3b",
        "llama3-8b",
        "llama3-70b",
        "llama2-70b",
        "mixtral-8x7b",
        "bloom-176b",
    }
    for c in ["family", "params_b", "active_params_b", "n_layers", "d_model", "n_kv_heads"]:
        assert c in llms.columns
    assert (llms["bytes_per_param"] == 2).all()
    assert np.allclose(llms["weights_gb"], llms["params_b"] * 2, atol=1e-3)
    kv = 2 * llms["n_layers"] * llms["n_kv_heads"] * llms["head_dim"] * llms["bytes_per_param"]
    assert (llms["kv_bytes_per_token"] == kv).all()
    assert llms.loc["mixtral-8x7b", ["params_b", "active_params_b"]].tolist() == [46.7, 12.9]
    assert (llms["active_params_b"] <= llms["params_b"]).all()
    assert llms["source"].str.len().min() > 20


def test_moe_weight_reads(specs: tuple[dict, dict]) -> None:
    lspec, _ = specs
    mix = lspec["mixtral-8x7b"]
    # one token reads exactly the active parameters; many tokens approach all weights
    assert mix.weight_bytes_touched(1) == pytest.approx(mix.active_params * 2)
    reads = [mix.weight_bytes_touched(b) for b in (1, 2, 4, 16, 64)]
    assert all(np.diff(reads) > 0)
    assert reads[-1] == pytest.approx(mix.weights_bytes, rel=1e-6)
    assert lspec["llama3-8b"].weight_bytes_touched(7) == lspec["llama3-8b"].weights_bytes


# --- measured rows ------------------------------------------------------------------------------
def test_measured_rows_match_source(
    shared: Path, profiles: pd.DataFrame, llms: pd.DataFrame, gpus: pd.DataFrame
) -> None:
    src = _source_means(shared)
    meas = profiles[profiles["method"] == "measured"]
    merged = meas.merge(src, on=KEY, how="left", validate="one_to_one")
    assert merged["prompt_time"].notna().all()
    assert np.allclose(merged["ttft_ms"], merged["prompt_time"], rtol=0, atol=1e-3)
    assert np.allclose(merged["tpot_ms"], merged["token_time"], rtol=0, atol=1e-3)
    # every source key is in the catalog unless it breaks the memory rule
    for r in src.itertuples():
        mem = _mem_gb(llms, r.llm, r.tp, r.batch, r.prompt_tokens + r.token_size)
        over = mem > 0.9 * gpus.loc[r.gpu, "memory_gb"]
        in_cat = ((meas[KEY] == [getattr(r, k) for k in KEY]).all(axis=1)).any()
        assert in_cat != over, (r.llm, r.gpu, r.tp, r.batch, r.prompt_tokens)
    # the power-capped variant's rows are kept as its own GPU (ecoserve_opt/perf/power_cap.py)
    assert set(profiles["gpu"]) <= set(gpus.index)
    assert (meas["gpu"] == "h100-80gb-pcap").sum() == (meas["gpu"] == "h100-80gb").sum() == 50


def test_measured_power(shared: Path, profiles: pd.DataFrame, gpus: pd.DataFrame) -> None:
    src = _source_means(shared)
    med = src.groupby(["llm", "gpu", "tp"])["avg_power"].transform("median")
    src["usable"] = src["avg_power"].notna() & (src["avg_power"] >= 0.5 * med)
    meas = profiles[profiles["method"] == "measured"].merge(src, on=KEY)
    use = meas[meas["usable"]]
    tdp = gpus.loc[use["gpu"], "tdp_w"].to_numpy()
    assert len(use) == 41
    assert np.allclose(use["power_w"], use["avg_power"] * tdp, atol=0.01)
    assert use["source"].str.contains("average_power x tdp_w").all()
    other = meas[~meas["usable"]]
    assert other["source"].str.contains("power_w from the roofline model").all()


# --- calibration --------------------------------------------------------------------------------
def test_calibration_error_under_25_percent(shared: Path) -> None:
    rep = fr.calibration_report(shared=shared, catalog=MODELS)
    assert len(rep) == len(fr.load_splitwise(shared))
    summ = fr.error_summary(rep)
    assert summ.loc["ttft", "median_ape"] < 0.25
    assert summ.loc["tpot", "median_ape"] < 0.25
    assert summ.loc["power", "median_ape"] < 0.25
    assert int(summ.loc["ttft", "n"]) == int(rep["fits_memory"].sum())
    assert rep["power_err"].notna().sum() == 41
    md = fr.report_markdown(rep)
    assert md.count("\n") == len(rep) + 8


def test_fit_reproduces_constants(shared: Path, specs: tuple[dict, dict]) -> None:
    lspec, gspec = specs
    cal = fr.fit_calibration(fr.load_splitwise(shared), lspec, gspec)
    assert cal == rf.CALIBRATION
    assert rf.CALIBRATION.mfu_prefill == rf.MFU_PREFILL
    assert 0 < rf.MFU_PREFILL <= 1
    assert 0 < rf.MBU_DECODE <= 1


# --- roofline physics ---------------------------------------------------------------------------
@pytest.mark.parametrize("gpu", ["h100-80gb", "a100-40gb", "l4", "t4"])
def test_roofline_monotone(specs: tuple[dict, dict], gpu: str) -> None:
    lspec, gspec = specs
    g = gspec[gpu]
    for llm, tp in product(lspec.values(), bp.TPS):
        for s in bp.PROMPTS:
            ests = [rf.estimate_gpu(llm, g, tp, b, s) for b in bp.BATCHES]
            tpot = [e.tpot_ms for e in ests]
            assert all(np.diff(tpot) > 0), (llm.llm, gpu, tp, s)
            fitting = [e.tokens_per_s / tp for e in ests if e.fits]
            assert all(np.diff(fitting) > 0), (llm.llm, gpu, tp, s)
            # beyond the memory limit no larger batch fits again
            fits = [e.fits for e in ests]
            assert fits == sorted(fits, reverse=True)
        for b in bp.BATCHES:
            ttft = [rf.estimate_gpu(llm, g, tp, b, s).ttft_ms for s in bp.PROMPTS]
            # non-decreasing (flat while the prefill is bound by reading the weights), and
            # rising over the range
            assert all(np.diff(ttft) >= 0), (llm.llm, gpu, tp, b)
            assert ttft[-1] > ttft[0], (llm.llm, gpu, tp, b)


def test_bigger_model_never_faster(specs: tuple[dict, dict]) -> None:
    lspec, gspec = specs
    pairs = [
        (big, small)
        for big in lspec.values()
        for small in lspec.values()
        if big.params_b > small.params_b and big.active_params_b > small.active_params_b
    ]
    assert len(pairs) >= 10
    for g, tp, b, s in product(gspec.values(), bp.TPS, (1, 8, 64), (128, 2048)):
        for big, small in pairs:
            eb = rf.estimate_gpu(big, g, tp, b, s)
            es = rf.estimate_gpu(small, g, tp, b, s)
            assert eb.ttft_ms > es.ttft_ms, (big.llm, small.llm, g.gpu, tp, b, s)
            assert eb.tpot_ms > es.tpot_ms, (big.llm, small.llm, g.gpu, tp, b, s)


# --- the catalog tables -------------------------------------------------------------------------
def test_profiles_contract(profiles: pd.DataFrame) -> None:
    for c in [*KEY, "ttft_ms", "tpot_ms", "power_w", "method", "source"]:
        assert c in profiles.columns
    assert not profiles.duplicated(KEY).any()
    assert not pd.read_csv(MODELS / "profiles.csv").duplicated([*KEY, "engine"]).any()
    assert not profiles[["ttft_ms", "tpot_ms", "power_w"]].isna().any().any()
    assert set(profiles["method"]) == {"measured", "roofline"}
    assert (profiles[["ttft_ms", "tpot_ms", "power_w"]] > 0).all().all()


def test_no_profile_row_violates_memory(
    profiles: pd.DataFrame, llms: pd.DataFrame, gpus: pd.DataFrame
) -> None:
    for r in profiles.itertuples():
        mem = _mem_gb(llms, r.llm, r.tp, r.batch, r.prompt_tokens + OUT_TOKENS)
        assert mem <= 0.9 * gpus.loc[r.gpu, "memory_gb"] + 1e-9, r


def test_profile_grid_complete(
    profiles: pd.DataFrame, llms: pd.DataFrame, gpus: pd.DataFrame
) -> None:
    have = set(map(tuple, profiles[KEY].to_numpy().tolist()))
    for llm, gpu, tp, b, s in product(llms.index, gpus.index, bp.TPS, bp.BATCHES, bp.PROMPTS):
        fits = _mem_gb(llms, llm, tp, b, s + OUT_TOKENS) <= 0.9 * gpus.loc[gpu, "memory_gb"]
        assert ((llm, gpu, tp, b, s) in have) == fits, (llm, gpu, tp, b, s)


def test_profile_power_between_idle_and_tdp(profiles: pd.DataFrame, gpus: pd.DataFrame) -> None:
    idle = gpus.loc[profiles["gpu"], "idle_w"].to_numpy()
    tdp = gpus.loc[profiles["gpu"], "tdp_w"].to_numpy()
    assert (profiles["power_w"].to_numpy() >= idle - 0.01).all()
    assert (profiles["power_w"].to_numpy() <= tdp + 0.01).all()


def test_roofline_rows_match_estimator(profiles: pd.DataFrame, specs: tuple[dict, dict]) -> None:
    lspec, gspec = specs
    roof = profiles[profiles["method"] == "roofline"].sample(50, random_state=0)
    for r in roof.itertuples():
        e = rf.estimate_gpu(lspec[r.llm], gspec[r.gpu], r.tp, r.batch, r.prompt_tokens)
        assert r.ttft_ms == pytest.approx(e.ttft_ms, abs=1e-4)
        assert r.tpot_ms == pytest.approx(e.tpot_ms, abs=1e-4)
        assert r.power_w == pytest.approx(e.power_w, abs=0.01)


# --- CPU rows -----------------------------------------------------------------------------------
def test_cpu_rows(cpu_profiles: pd.DataFrame, llms: pd.DataFrame) -> None:
    hosts = pd.read_csv(MODELS / "hosts.csv")
    cpus = rf.cpu_specs(hosts)
    assert set(cpu_profiles["cpu"]) == set(hosts["cpu"])
    assert not cpu_profiles.duplicated(["llm", "cpu", "batch", "prompt_tokens"]).any()
    for c in ["ttft_ms", "tpot_ms", "power_w", "method", "source"]:
        assert cpu_profiles[c].notna().all()
    for r in cpu_profiles.itertuples():
        cpu = cpus[r.cpu]
        mem = llms.loc[r.llm, "weights_gb"] + r.batch * (r.prompt_tokens + OUT_TOKENS) * (
            llms.loc[r.llm, "kv_bytes_per_token"] / 1e9
        )
        assert mem == pytest.approx(r.mem_gb, abs=1e-3)
        assert mem <= cpu.dram_budget_gb
        assert cpu.idle_w <= r.power_w <= cpu.tdp_w
    # llama3-8b fits every socket at every batch
    assert len(cpu_profiles[cpu_profiles["llm"] == "llama3-8b"]) == len(cpus) * 16


def test_cpu_decode_bandwidth_bound(cpu_profiles: pd.DataFrame, llms: pd.DataFrame) -> None:
    """llama3-8b on one Genoa socket: decode tokens/s obeys the DRAM-bandwidth roofline
    (plus the calibrated per-layer step cost)."""
    hosts = pd.read_csv(MODELS / "hosts.csv").set_index("host")
    bw = float(hosts.loc[hosts["cpu"] == "genoa", "mem_bw_gbs_per_socket"].iloc[0]) * 1e9
    w = float(llms.loc["llama3-8b", "weights_gb"]) * 1e9
    kv = float(llms.loc["llama3-8b", "kv_bytes_per_token"])
    rows = cpu_profiles[(cpu_profiles["llm"] == "llama3-8b") & (cpu_profiles["cpu"] == "genoa")]
    assert len(rows) == 16
    for r in rows.itertuples():
        ctx = r.prompt_tokens + OUT_TOKENS / 2
        tok_s = r.batch / (r.tpot_ms / 1e3)
        speed_of_light = r.batch * bw / (w + r.batch * ctx * kv)
        assert tok_s <= speed_of_light  # never faster than streaming bytes at peak bandwidth
        assert tok_s <= rf.CPU_MBU * speed_of_light * (1 + 1e-5)  # csv rounding
        if r.batch == 1:  # memory-bound: the bandwidth formula plus the layer term
            step_s = (w + ctx * kv) / (rf.CPU_MBU * bw) + 32 * rf.CPU_DECODE_LAYER_MS / 1e3
            assert tok_s == pytest.approx(1 / step_s, rel=1e-4)
    b1 = rows[(rows["batch"] == 1) & (rows["prompt_tokens"] == 128)].iloc[0]
    assert 1.0 < 1e3 / b1.tpot_ms < bw / w  # tokens/s: above 1, below the bandwidth bound


def test_cpu_sanity_check_published_figure() -> None:
    """Calibration point: dual EPYC 9175F, 16 x DDR5-6400, Llama-3.1-70B f16, 4.31 tok/s."""
    bw = 16 * 6400e6 * 8  # bytes/s, both sockets
    w = 70.554e9 * 2
    predicted = 1 / (w / (bw * rf.CPU_MBU) + 80 * rf.CPU_DECODE_LAYER_MS / 1e3)
    assert predicted == pytest.approx(4.31, rel=0.01)
    assert math.isclose(rf.CPU_LOAD_POWER_FRACTION, 0.95)


# --- builder ------------------------------------------------------------------------------------
def test_builder_reproduces_bundled_tables(shared: Path, tmp_path: Path) -> None:
    for name in ("gpus.csv", "hosts.csv"):
        shutil.copyfile(MODELS / name, tmp_path / name)
    info = bp.build(shared, tmp_path)
    assert info["profiles_rows"] == len(pd.read_csv(MODELS / "profiles.csv"))
    for name in ("llms.csv", "profiles.csv", "cpu_profiles.csv"):
        assert filecmp.cmp(tmp_path / name, MODELS / name, shallow=False), name
    assert filecmp.cmp(
        tmp_path / "licenses" / "splitwise-sim-LICENSE-MIT.txt",
        shared / "perf" / "LICENSE-splitwise-sim-MIT.txt",
        shallow=False,
    )

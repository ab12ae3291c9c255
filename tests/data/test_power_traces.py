"""TP > 1 power points derived from powertrace-sim's raw vLLM traces (method and stored rows)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from catalog_build import power_traces as pt
from catalog_build import profile_validation as pv
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import DEFAULT_ENGINE, ENGINES

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
T0 = 1_000_000.0  # level start (Unix s)
UTC_OFFSET = -25200.0  # the run's local clock: UTC-7


def _local(epoch: float) -> str:
    """Unix seconds -> the run's local wall-clock stamp (``power.csv`` format)."""
    t = datetime.fromtimestamp(epoch + UTC_OFFSET, tz=timezone.utc)
    return t.strftime("%Y/%m/%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def _write_run(
    d: Path, *, waiting_in_window: int | None = None, short_window: int | None = None
) -> None:
    """A synthetic TP 2 run: in window k, GPU g draws 300 + 10 k + g W, the batch is 4 + k."""
    d.mkdir()
    manifest = {
        "model": "meta-llama/Llama-3.1-70B-Instruct",
        "hardware": "H100",
        "tp": 2,
        "run_id": "synthetic",
        "clock": {"local_utc_offset_s": UTC_OFFSET, "power_timestamp_basis": "local_wall_time"},
        "probe": {
            "levels": [
                {
                    "t_start_epoch": T0,
                    "t_end_epoch": T0 + 500,
                    "params": {"dataset": "sharegpt", "request_rate": 4.0},
                    "summary": {
                        "completed": 10,
                        "total_input_tokens": 3000,
                        "total_output_tokens": 1795,
                    },
                }
            ]
        },
        "server": {"max_num_seqs": 256},
        "versions": {"vllm": "0.10.1.1"},
    }
    (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    prow, erow = [], []
    for k in range(pt.N_WINDOWS):
        a = T0 + pt.OFFSET_S + pt.STEP_S * k
        n = 10 if k == short_window else 20
        for i in range(n):
            t = a + 0.05 + 0.25 * i
            for g in range(2):
                prow.append(f"{_local(t)},{g},GPU-{g},{300 + 10 * k + g:.2f}")
            wait = 1.0 if (k == waiting_in_window and i == 7) else 0.0
            erow.append(f"{t + 0.01},{4 + k}.0,{wait}")
        # samples just outside the window must not count
        prow.append(f"{_local(a - 0.1)},0,GPU-0,999.00")
        erow.append(f"{a + pt.LENGTH_S + 0.01},99.0,5.0")
    (d / "power.csv").write_text(
        "timestamp,index,uuid,power.draw [W]\n" + "\n".join(prow) + "\n", encoding="utf-8"
    )
    (d / "engine.csv").write_text(
        "timestamp,num_requests_running,num_requests_waiting\n" + "\n".join(erow) + "\n",
        encoding="utf-8",
    )


def test_windows_average_power_and_batch_inside_the_window(tmp_path: Path) -> None:
    _write_run(tmp_path / "run")
    w = pt.windows(pt.load_run(tmp_path / "run"))
    assert len(w) == pt.N_WINDOWS
    assert (w["drop"] == "").all()
    for r in w.itertuples(index=False):
        # mean over both GPUs (300 + 10 k and 301 + 10 k), the 999 W sample outside ignored
        assert r.measured_w == pytest.approx(300.5 + 10 * r.k)
        assert r.mean_running == pytest.approx(4 + r.k)
        assert r.power_samples == 20
        assert r.engine_samples == 20


def test_windows_are_dropped_by_the_fixed_rules(tmp_path: Path) -> None:
    _write_run(tmp_path / "a", waiting_in_window=3, short_window=5)
    w = pt.windows(pt.load_run(tmp_path / "a")).set_index("k")
    assert w.loc[3, "drop"] == "requests waiting"
    assert w.loc[5, "drop"] == f"fewer than {pt.MIN_SAMPLES} power samples per GPU"
    assert (w.drop(index=[3, 5])["drop"] == "").all()


def test_points_are_cited_per_gpu_fractions_of_tdp(tmp_path: Path) -> None:
    _write_run(tmp_path / "run")
    pts = pt.points(pt.load_run(tmp_path / "run"), "data/runs/x/y", "a" * 40, MODELS)
    assert len(pts) == pt.N_WINDOWS
    assert list(pts.columns) == [*pv.POINT_COLUMNS, *pt.EXTRA_COLUMNS]
    assert set(pts["tp"]) == {2}
    assert set(pts["llm"]) == {"llama3-70b"}
    assert list(pts["batch"]) == [4 + k for k in range(pt.N_WINDOWS)]
    assert set(pts["input_tokens"]) == {300}
    assert set(pts["output_tokens"]) == {179.5}
    assert pts["value"].to_numpy() == pytest.approx(
        (pts["measured_w"] / 700.0).to_numpy(), abs=1e-6
    )
    assert pts["source_url"].iloc[0] == (
        "https://github.com/grantwilkins/powertrace-sim/tree/" + "a" * 40 + "/data/runs/x/y"
    )


def test_local_clock_must_be_declared(tmp_path: Path) -> None:
    _write_run(tmp_path / "run")
    m = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    m["clock"]["power_timestamp_basis"] = "unix_epoch"
    (tmp_path / "run" / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(ValueError, match="power_timestamp_basis must be local_wall_time"):
        pt.load_run(tmp_path / "run")


@pytest.fixture(scope="module")
def stored() -> pd.DataFrame:
    return pd.read_csv(MODELS / "profile_measurements" / pt.FILE, keep_default_na=False)


def test_stored_points_follow_the_method(stored: pd.DataFrame) -> None:
    """The committed rows: the TP 4 Llama-3.1-70B run, values consistent with their columns."""
    assert len(stored) == pt.N_WINDOWS  # no window was dropped
    assert set(stored["repo"]) == {"grantwilkins/powertrace-sim"}
    assert set(stored["commit"]) == {"96361efbde8bb01c3c44a8d705853574cc915e1a"}
    assert set(stored["engine_version"]) == {"0.10.1.1"}
    assert set(stored["tp"]) == {4}
    assert set(stored["gpu"]) == {"h100-80gb"}
    assert set(stored["set"]) == {"validation"}
    # run means: 500,299 input and 301,036 output tokens over 1,680 completed requests
    assert set(stored["input_tokens"]) == {round(500299 / 1680)}
    assert set(stored["output_tokens"]) == {round(301036 / 1680, 1)}
    assert (stored["batch"] == stored["mean_running"].round().astype(int)).all()
    assert stored["value"].to_numpy() == pytest.approx(
        (stored["measured_w"] / 700.0).to_numpy(), abs=2e-6
    )
    # windows on the fixed grid: 60 s after the level start, every 40 s
    k = (stored["window_start_epoch"] - 1784435342.875 - pt.OFFSET_S) / pt.STEP_S
    assert k.to_numpy() == pytest.approx(k.round().to_numpy(), abs=1e-3)
    assert (stored["power_samples"] >= pt.MIN_SAMPLES).all()
    # per-GPU readings between the H100's idle power and its TDP
    assert stored["measured_w"].between(75.0, 700.0).all()


def test_stored_points_error_matches_the_roofline(stored: pd.DataFrame) -> None:
    llms, gpus = pv.specs(MODELS)
    cal = ENGINES[DEFAULT_ENGINE].calibration
    for r in stored.itertuples(index=False):
        est = rf.estimate_gpu(
            llms[r.llm],
            gpus[r.gpu],
            4,
            int(r.batch),
            int(r.input_tokens),
            float(r.output_tokens),
            cal,
        )
        assert est.fits
        # the model is 20-30 % below every window (docs/profiles.md)
        assert -0.30 <= est.power_w / r.measured_w - 1 <= -0.20

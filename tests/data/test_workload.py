"""Workload loader: the bundled Azure traces and their summary statistics."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from catalog_build import default_shared_dir
from ecoserve_opt import workload as wl

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
# ../shared/data, or $ECOSERVE_SHARED_DATA (the catalog build's default)
SHARED = default_shared_dir()
FILES = {
    "azure-code-2023": "AzureLLMInferenceTrace_code.csv",
    "azure-conv-2023": "AzureLLMInferenceTrace_conv.csv",
}


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("shared field data (../shared/data) not available")
    return SHARED


def _direct(csv: Path) -> dict[str, float]:
    """Summary computed straight from the CSV with pandas (independent of the module)."""
    df = pd.read_csv(csv)
    ts = pd.to_datetime(df["TIMESTAMP"], format="ISO8601")
    t = (ts - ts.min()).dt.total_seconds()
    dur = t.max()
    n_win = int(t.max() // 60)
    win = (t // 60).astype(int)
    counts = win[win < n_win].value_counts().reindex(range(n_win), fill_value=0)
    return {
        "n_requests": len(df),
        "duration_s": dur,
        "requests_per_s": len(df) / dur,
        "mean_input_tokens": df["ContextTokens"].mean(),
        "mean_output_tokens": df["GeneratedTokens"].mean(),
        "p50_input_tokens": df["ContextTokens"].quantile(0.5),
        "p99_input_tokens": df["ContextTokens"].quantile(0.99),
        "p50_output_tokens": df["GeneratedTokens"].quantile(0.5),
        "p99_output_tokens": df["GeneratedTokens"].quantile(0.99),
        "input_tokens_per_s": df["ContextTokens"].sum() / dur,
        "output_tokens_per_s": df["GeneratedTokens"].sum() / dur,
        "minute_peak_to_mean": counts.max() / counts.mean(),
        # population variance over the squared mean (the headroom rule's service cs^2)
        "output_tokens_cv2": df["GeneratedTokens"].var(ddof=0) / df["GeneratedTokens"].mean() ** 2,
    }


@pytest.mark.parametrize("name", sorted(FILES))
def test_summary_matches_source_csv(shared: Path, name: str) -> None:
    s = wl.summarise(name)
    for field, value in _direct(shared / "traces" / FILES[name]).items():
        assert getattr(s, field) == pytest.approx(value, rel=1e-12), field


@pytest.mark.parametrize("name", sorted(FILES))
def test_bundled_copy_equals_source(shared: Path, name: str) -> None:
    assert filecmp.cmp(MODELS / "traces" / FILES[name], shared / "traces" / FILES[name], False)
    assert filecmp.cmp(
        MODELS / "traces" / "LICENSE-CC-BY-4.0.txt",
        shared / "traces" / "LICENSE-CC-BY-4.0.txt",
        shallow=False,
    )


@pytest.mark.parametrize("name", sorted(FILES))
def test_summary_from_bundled_copy(name: str) -> None:
    s = wl.summarise(name)
    d = _direct(MODELS / "traces" / FILES[name])
    assert s.n_requests == d["n_requests"]
    assert s.output_tokens_per_s == pytest.approx(d["output_tokens_per_s"])
    assert s.output_tokens_cv2 == pytest.approx(d["output_tokens_cv2"], rel=1e-12)
    assert s.minute_peak_to_mean >= 1.0
    assert "AzurePublicDataset" in s.source


def test_load_trace_columns() -> None:
    df = wl.load_trace("azure-conv-2023")
    assert list(df.columns) == ["timestamp", "t_s", "input_tokens", "output_tokens"]
    assert df["t_s"].iloc[0] == 0.0
    assert df["timestamp"].is_monotonic_increasing
    assert len(df) == 19366
    with pytest.raises(KeyError, match="unknown trace"):
        wl.load_trace("azure-nope")


def test_diurnal_shape() -> None:
    d = wl.diurnal_shape()
    assert d.shape == (24,)
    assert d.mean() == pytest.approx(1.0, abs=1e-12)
    assert (d > 0).all()
    assert int(np.argmax(d)) == int(wl.DIURNAL_PEAK_HOUR)
    assert d.max() / d.min() == pytest.approx((1 + 0.35) / (1 - 0.35))
    s = wl.summarise("azure-code-2023")
    assert len(s.diurnal) == 24
    assert np.mean(s.diurnal) == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(wl.diurnal_shape(0.0), 1.0)
    with pytest.raises(ValueError):
        wl.diurnal_shape(1.2)


def test_summary_is_frozen() -> None:
    s = wl.summarise("azure-code-2023")
    with pytest.raises(AttributeError):
        s.requests_per_s = 1.0  # type: ignore[misc]

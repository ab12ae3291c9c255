"""The indicative power check on readings without a published input length."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from catalog_build import power_check as pc
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import DEFAULT_ENGINE, ENGINES

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
DOC = REPO / "docs" / "profiles.md"


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return pc.load(MODELS)


def test_readings_are_cited_and_per_gpu(rows: pd.DataFrame) -> None:
    assert (rows["source_url"].str.startswith("https://")).all()
    assert (rows["note"].str.contains("mean input length not published")).all()
    assert set(rows["gpu"]) == {"h100-80gb"}
    # per-GPU readings: between the H100's idle power and its TDP
    assert rows["measured_w_per_gpu"].between(75.0, 700.0).all()
    assert set(rows["tp"]) == {1, 4}


def test_check_matches_the_roofline_and_brackets_every_reading(rows: pd.DataFrame) -> None:
    cal = ENGINES[DEFAULT_ENGINE].calibration
    ck = pc.check(rows, cal, MODELS)
    assert len(ck) == len(rows) * len(pc.ASSUMED_INPUTS)
    r, first = rows.iloc[0], ck.iloc[0]
    from catalog_build.profile_validation import specs

    llms, gpus = specs(MODELS)
    est = rf.estimate_gpu(
        llms[r.llm], gpus[r.gpu], int(r.tp), round(r.avg_batch), 100, float(r.output_tokens), cal
    )
    assert first["model_w"] == pytest.approx(est.power_w)
    assert first["err"] == pytest.approx(est.power_w / r.measured_w_per_gpu - 1)


def test_documented_table_is_current(rows: pd.DataFrame) -> None:
    text = DOC.read_text(encoding="utf-8")
    begin, end = pc.MARKERS
    got = text[text.index(begin) + len(begin) : text.index(end)].strip()
    want = pc.report_markdown(pc.check(rows, ENGINES[DEFAULT_ENGINE].calibration, MODELS))
    assert got == want.strip()

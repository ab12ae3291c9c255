"""The power-profile caption states where offline work ran, computed from the data.

It used to be read as "offline work moves to low-carbon hours" while the default
scenario's optimum runs it at night in the dirtiest slots; the caption is now computed
from the power and offline tables (share of offline tokens in the cleaner half of the
slots, token-weighted intensity against the day's mean).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ecoserve_opt.report import render_results
from ecoserve_opt.results import offline_timing, offline_timing_caption
from tests.conftest import solve_dict


def _tables(ci: list[float], tokens: dict[int, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    power = pd.DataFrame({"year": 1, "slot": range(len(ci)), "grid_kg_per_kwh": ci})
    off = pd.DataFrame(
        [
            {"llm": "m", "where": "gpu", "year": 1, "slot": s, "tokens_per_day": t}
            for s, t in tokens.items()
        ]
    )
    return power, off


def test_offline_in_the_dirtiest_slots_is_called_so() -> None:
    power, off = _tables([0.1, 0.1, 0.9, 0.9], {2: 3e6, 3: 1e6})
    t = offline_timing(power, off)
    assert t is not None
    assert t["low_half_share"] == 0.0
    assert t["weighted_ci"] == pytest.approx(0.9)
    assert t["day_ci"] == pytest.approx(0.5)
    assert offline_timing_caption(t) == (
        "0% of the offline tokens run in the cleaner half of the slots; at a token-weighted "
        "900 gCO2e/kWh against the day's mean 500, the offline work runs mostly in "
        "dirtier-than-average hours."
    )


def test_offline_in_clean_slots_and_flat_grids() -> None:
    power, off = _tables([0.1, 0.2, 0.9, 0.8], {0: 3e6, 1: 1e6, 2: 1e6})
    t = offline_timing(power, off)
    assert t is not None
    assert t["low_half_share"] == pytest.approx(0.8)
    assert "cleaner-than-average" in offline_timing_caption(t)
    flat, off = _tables([0.4, 0.4, 0.4], {0: 1.0})
    t = offline_timing(flat, off)
    assert t is not None
    assert math.isnan(t["low_half_share"])
    assert offline_timing_caption(t).startswith("The grid intensity is the same in every slot")
    assert offline_timing(flat, off.iloc[:0]) is None
    assert offline_timing_caption(None) == ""


def _grid(tmp_path: Path) -> str:
    csv = tmp_path / "grid.csv"
    lines = ["hour,gco2e_per_kwh"] + [f"{h},{100 if h < 12 else 900}" for h in range(24)]
    csv.write_text("\n".join(lines) + "\n")
    return str(csv)


@pytest.mark.milp
def test_report_caption_follows_the_solution(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    """Offline only, 12 clean and 12 dirty hours (test_pillars.test_shift_offline...): with
    shifting all offline tokens run in the clean half; without, half of them do."""
    tiny_dict["hardware"]["gpus"] = ["gpu-a"]
    tiny_dict["time_slots"] = 4
    tiny_dict["grid"] = {"intensity": 500, "hourly_csv": _grid(tmp_path), "pue": 1.0}
    tiny_dict["llms"]["tiny-llm"] = {
        "offline": {"tokens_per_day": 200 * 86400, "input_tokens": 100, "output_tokens": 100}
    }
    tiny_dict["pillars"]["shift_offline"] = True
    shifted = solve_dict(tiny_dict)
    page = render_results(shifted)
    assert (
        "100% of the offline tokens run in the cleaner half of the slots; at a token-weighted "
        "100 gCO2e/kWh against the day&#x27;s mean 500, the offline work runs mostly in "
        "cleaner-than-average hours." in page
    )
    tiny_dict["pillars"]["shift_offline"] = False
    flat = solve_dict(tiny_dict)
    text = offline_timing_caption(offline_timing(flat.tables["power"], flat.tables["offline"]))
    assert text.startswith("50% of the offline tokens run in the cleaner half")
    assert text.endswith("spread over clean and dirty hours alike.")

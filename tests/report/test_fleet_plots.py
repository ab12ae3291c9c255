"""Plots of one design (ecoserve_opt.plot.fleet) and of a design-point comparison
(ecoserve_opt.plot.compare): figures, units in labels, axes handling, empty inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ecoserve_opt.plot.compare import (  # noqa: E402
    pillar_savings,
    plot_design_points,
    plot_pillar_contributions,
)
from ecoserve_opt.plot.fleet import (  # noqa: E402
    carbon_breakdown,
    fleet_counts,
    fleet_mix,
    power_profile,
)
from ecoserve_opt.results import Results  # noqa: E402
from ecoserve_opt.solve import Status  # noqa: E402
from tests.helpers import solve_dict  # noqa: E402


def _texts(fig: Figure) -> str:
    """Every piece of text in the figure (labels, titles, ticks, annotations, legends)."""
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


@pytest.fixture
def tiny_res(tiny_dict: dict[str, Any]) -> Results:
    return solve_dict(tiny_dict)


@pytest.fixture
def offline_res(tiny_dict: dict[str, Any]) -> Results:
    """24 slots, a solar-shaped grid and an offline batch that can move in time."""
    tiny_dict["time_slots"] = 24
    tiny_dict["grid"]["hourly_shape"] = "solar"
    tiny_dict["llms"]["tiny-llm"]["offline"] = {
        "tokens_per_day": 3e7,
        "input_tokens": 100,
        "output_tokens": 100,
    }
    tiny_dict["pillars"]["shift_offline"] = True
    return solve_dict(tiny_dict)


@pytest.mark.milp
def test_fleet_mix(tiny_res: Results) -> None:
    counts = fleet_counts(tiny_res)
    assert counts.to_dict("records") == [
        {"kind": "gpu", "item": "gpu-a", "new": 5, "owned": 0},
        {"kind": "host", "item": "host-x", "new": 2, "owned": 0},
    ]
    fig = fleet_mix(tiny_res)
    assert isinstance(fig, Figure)
    text = _texts(fig)
    assert "gpu-a (GPU)" in text
    assert "host-x (host)" in text
    assert "units" in fig.axes[0].get_xlabel()


def test_fleet_counts_new_and_owned() -> None:
    fleet = pd.DataFrame(
        [
            ("gpu", "h100", "new", 1, 5, 8, None),
            ("gpu", "h100", "new", 2, 5, 4, None),
            ("gpu", "a100", "owned", 0, 5, 3, 1),
            ("gpu", "a100", "owned", 0, 5, 6, 2),
            ("host", "rome", "owned", 0, 6, 2, 1),
        ],
        columns=["kind", "item", "source", "year_bought", "lifetime_years", "count", "year_used"],
    )
    res = Results("x", "carbon", Status.OPTIMAL, pd.Series(dtype=float), {"fleet": fleet})
    counts = fleet_counts(res).set_index("item")
    assert counts.loc["h100", "new"] == 12  # every unit bought
    assert counts.loc["a100", "owned"] == 6  # most owned units in service in one year
    assert counts.loc["rome", "owned"] == 2
    assert list(counts["kind"]) == ["gpu", "gpu", "host"]
    assert "6 owned" in _texts(fleet_mix(res))


@pytest.mark.milp
def test_carbon_breakdown(tiny_res: Results) -> None:
    fig = carbon_breakdown(tiny_res)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "carbon over the horizon (kgCO2e)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["GPU", "CPU", "DRAM", "SSD", "other"]
    assert "3,950 kgCO2e" in ax.get_title(loc="left")
    # bar heights: operational + embodied stacked per component
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == pytest.approx(tiny_res.carbon)


@pytest.mark.milp
def test_power_profile_units_and_offline(tiny_res: Results, offline_res: Results) -> None:
    fig = power_profile(tiny_res)
    labels = [a.get_ylabel() for a in fig.axes]
    assert labels == ["IT power (kW)", "grid intensity (gCO2e/kWh)"]
    fig = power_profile(offline_res)
    labels = [a.get_ylabel() for a in fig.axes]
    assert labels == [
        "IT power (kW)",
        "grid intensity (gCO2e/kWh)",
        "offline throughput (tokens/s)",
    ]
    assert "hour of the representative day" in fig.axes[0].get_xlabel()
    with pytest.raises(ValueError, match="year 7"):
        power_profile(offline_res, year=7)


@pytest.mark.milp
def test_given_axes_are_used(tiny_res: Results) -> None:
    fig, axes = plt.subplots(1, 3)
    assert fleet_mix(tiny_res, ax=axes[0]) is fig
    assert carbon_breakdown(tiny_res, ax=axes[1], title="mine") is fig
    assert axes[1].get_title(loc="left") == "mine"
    assert power_profile(tiny_res, ax=axes[2]) is fig
    assert len(fig.axes) == 4  # three given + the grid-intensity twin


def test_no_solution_draws_a_note() -> None:
    res = Results("x", "carbon", Status.INFEASIBLE, pd.Series(dtype=float))
    for fn in (fleet_mix, carbon_breakdown, power_profile):
        fig = fn(res)
        assert "no solution (status infeasible)" in _texts(fig)


def _comparison() -> pd.DataFrame:
    rows = [
        ("performance-optimised", "same-design-space", "optimal", 90.0, 10.0),
        ("cost-optimised", "same-design-space", "feasible", 70.0, 10.0),
        ("EcoServe", "same-design-space", "optimal", 55.0, 5.0),
        ("conventional carbon-optimised", "conventional", "optimal", 180.0, 20.0),
        ("conventional carbon-optimised + reduce", "add-one", "optimal", 150.0, 10.0),
        ("conventional carbon-optimised + reuse", "add-one", "optimal", 170.0, 5.0),
        ("EcoServe without reduce", "leave-one-out", "optimal", 80.0, 5.0),
        ("EcoServe without reuse", "leave-one-out", "optimal", 55.2, 5.0),
    ]
    df = pd.DataFrame(rows, columns=["design", "family", "status", "operational_kg", "embodied_kg"])
    df["carbon_kg"] = df["operational_kg"] + df["embodied_kg"]
    df["gap"] = 0.01
    df["ecoserve_reduction"] = (df["carbon_kg"] - 60.0) / df["carbon_kg"]
    return df


def test_plot_design_points(tmp_path: Path) -> None:
    fig = plot_design_points(_comparison())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "conventional carbon-optimised"
    assert ax.get_xlabel() == "carbon over the horizon (kgCO2e)"
    text = _texts(fig)
    assert "EcoServe 40% lower" in text  # 100 kg vs 60 kg
    assert "80*" in text  # feasible (time-limited) point marked
    assert "not proven optimal" in ax.get_title(loc="left")
    path = tmp_path / "cmp.csv"
    _comparison().to_csv(path, index=False)
    assert isinstance(plot_design_points(path), Figure)


def test_pillar_savings_and_plot() -> None:
    """add-one: 200 - 160 = 40 kg (reduce), 200 - 175 = 25 kg (reuse); leave-one-out:
    85 - 60 = 25 kg (reduce), 60.2 - 60 = 0.2 kg (reuse: within the 1% gap)."""
    s = pillar_savings(_comparison()).set_index("pillar")
    assert s.loc["reduce", "add_one_kg"] == pytest.approx(40.0)
    assert s.loc["reuse", "add_one_share"] == pytest.approx(25.0 / 200.0)
    assert s.loc["reduce", "leave_one_out_kg"] == pytest.approx(25.0)
    assert s.loc["reuse", "leave_one_out_within_gap"]
    assert not s.loc["reduce", "leave_one_out_within_gap"]
    fig = plot_pillar_contributions(_comparison())
    assert fig.axes[0].get_xlabel() == "carbon saved by the pillar (kgCO2e)"
    assert "(within gap)" in _texts(fig)
    no_effects = _comparison().iloc[[0, 1, 2]]
    assert pillar_savings(no_effects).empty
    assert "no pillar-effect designs" in _texts(plot_pillar_contributions(no_effects))


def test_not_a_comparison_table() -> None:
    with pytest.raises(ValueError, match="design"):
        plot_design_points(pd.DataFrame({"x": [1]}))

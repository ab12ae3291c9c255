"""Smoke and content tests of the sweep/Pareto plots (Agg backend, PNG and SVG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ecoserve_opt.exceptions import EcoserveError  # noqa: E402
from ecoserve_opt.io.yaml_loader import LoadedScenario, validate_dict  # noqa: E402
from ecoserve_opt.plot import (  # noqa: E402
    plot_breakdown,
    plot_pareto,
    plot_sensitivity,
    save_figure,
)
from ecoserve_opt.plot.sensitivity import design_changes, sensitivity_table  # noqa: E402
from ecoserve_opt.studies import sweep  # noqa: E402
from ecoserve_opt.studies.pareto import pareto  # noqa: E402
from ecoserve_opt.studies.store import SweepResults  # noqa: E402
from tests.helpers import tiny  # noqa: E402

pytestmark = pytest.mark.milp


@pytest.fixture(scope="module")
def sens(switch: LoadedScenario, tmp_path_factory: pytest.TempPathFactory) -> SweepResults:
    return sweep(switch, {"grid_intensity": "0:200:25"}, tmp_path_factory.mktemp("sens"))


@pytest.fixture(scope="module")
def front(tradeoff: LoadedScenario, tmp_path_factory: pytest.TempPathFactory) -> SweepResults:
    return pareto(tradeoff, tmp_path_factory.mktemp("front"), points=6)


def test_sensitivity_marks_the_design_change(sens: SweepResults, tmp_path: Path) -> None:
    df, param, note = sensitivity_table(sens)
    assert param == "grid_intensity"
    assert note == ""
    # B up to 50 g, A from 75 g (switch at 74.7 g): the line sits midway, at 62.5
    assert design_changes(df, param) == [(62.5, "3 gpu-b + 1 host-x", "5 gpu-a + 2 host-x")]
    fig = plot_sensitivity(sens)
    assert isinstance(fig, Figure)
    gpus, hosts, carbon, share = fig.axes[:4]
    assert share.get_xlabel() == "grid carbon intensity (gCO2e/kWh)"
    assert carbon.get_ylabel() == "carbon over the horizon (kgCO2e)"
    assert share.get_ylabel() == "embodied share of total (%)"
    vlines = [ln for ln in carbon.get_lines() if ln.get_linestyle() == ":"]
    assert [ln.get_xdata()[0] for ln in vlines] == [62.5]
    assert {"gpu-a GPUs", "gpu-b GPUs"} <= set(gpus.get_legend_handles_labels()[1])
    assert hosts.get_legend_handles_labels()[1] == ["host-x hosts"]
    for suffix in ("png", "svg"):
        out = save_figure(fig, tmp_path / f"sens.{suffix}")
        assert out.stat().st_size > 1000
    assert (tmp_path / "sens.svg").read_text().lstrip().startswith("<?xml")


def test_sensitivity_on_given_axes_and_categories(tmp_path: Path) -> None:
    res = sweep(
        validate_dict(tiny()),
        {"embodied_source": "act,greensku,boavizta", "grid_intensity": [100, 200]},
        tmp_path,
    )
    df, param, note = sensitivity_table(res, "embodied_source")
    assert note == "grid_intensity=100"
    assert df["embodied_source"].tolist() == ["act", "boavizta", "greensku"]
    fig, axes = plt.subplots(2, 1)
    assert plot_sensitivity(res, list(axes), param="embodied_source") is fig
    fig1, ax = plt.subplots()
    assert plot_sensitivity(res, ax) is fig1  # one Axes: the carbon panel only
    with pytest.raises(EcoserveError, match="no sweep over"):
        plot_sensitivity(res, param="pue")


def test_pareto_plot_marks_baselines(front: SweepResults, tmp_path: Path) -> None:
    fig = plot_pareto(front)
    ax = fig.axes[0]
    labels = set(ax.get_legend_handles_labels()[1])
    assert {
        "performance-optimised",
        "energy-optimised",
        "cost-optimised",
        "carbon-optimised",
    } <= labels
    assert any(lb.startswith("Pareto front") for lb in labels)
    assert ax.get_xlabel() == "cost (USD)"
    assert ax.get_ylabel() == "carbon (kgCO2e)"
    save_figure(fig, tmp_path / "front.svg")
    save_figure(fig, tmp_path / "front.png")
    assert (tmp_path / "front.png").read_bytes()[:4] == b"\x89PNG"


def test_breakdown_per_design_point(front: SweepResults, sens: SweepResults) -> None:
    fig = plot_breakdown(front)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    n_front = len(front.pareto_front())
    assert ticks[:n_front] == [f"front {i + 1}" for i in range(n_front)]
    assert ticks[n_front:] == ["performance-opt.", "energy-opt.", "cost-opt.", "carbon-opt."]
    # stacked bars: the top of every bar is the point's total carbon
    tops: dict[float, float] = {}
    for patch in ax.patches:
        x = round(patch.get_x() + patch.get_width() / 2, 6)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    rows = front.pareto_front()["carbon_kg"].tolist()
    assert [tops[float(i)] for i in range(n_front)] == pytest.approx(rows)
    fig2 = plot_breakdown(sens)
    assert fig2.axes[0].get_xlabel() == "grid carbon intensity (gCO2e/kWh)"


def test_plots_of_nothing(tmp_path: Path) -> None:
    empty = SweepResults(pd.DataFrame())
    assert isinstance(plot_pareto(empty), Figure)
    assert isinstance(plot_breakdown(empty), Figure)
    with pytest.raises(EcoserveError, match=".png, .svg"):
        save_figure(plt.figure(), tmp_path / "x.jpg")

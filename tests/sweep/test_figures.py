"""Figures stay readable: no overlapping text, one colour per meaning, far-off designs
kept from squeezing the rest (Pareto baselines off-scale, breakdown outliers cut)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ecoserve_opt.io.yaml_loader import LoadedScenario  # noqa: E402
from ecoserve_opt.plot import (  # noqa: E402
    palette,  # noqa: E402
    plot_breakdown,
    plot_pareto,
    plot_sensitivity,
)
from ecoserve_opt.plot._layout import overlapping_texts  # noqa: E402
from ecoserve_opt.plot.breakdown import outlier_cap  # noqa: E402
from ecoserve_opt.studies import sweep  # noqa: E402
from ecoserve_opt.studies.pareto import pareto  # noqa: E402
from ecoserve_opt.studies.store import SweepResults  # noqa: E402

pytestmark = pytest.mark.milp


@pytest.fixture(scope="module")
def sens(switch: LoadedScenario, tmp_path_factory: pytest.TempPathFactory) -> SweepResults:
    return sweep(switch, {"grid_intensity": "0:200:25"}, tmp_path_factory.mktemp("sens"))


@pytest.fixture(scope="module")
def front(tradeoff: LoadedScenario, tmp_path_factory: pytest.TempPathFactory) -> SweepResults:
    return pareto(tradeoff, tmp_path_factory.mktemp("front"), points=6)


def _far_baselines(front: SweepResults) -> SweepResults:
    """The front with the performance baseline 14x costlier and 8x dirtier, and the energy
    baseline 6x dirtier (as a GPU-heavy latency design is on a real fleet)."""
    t = front.table.copy()
    perf = (t["kind"] == "baseline") & (t["objective"] == "performance")
    energy = (t["kind"] == "baseline") & (t["objective"] == "energy")
    t.loc[perf, "cost_usd"] *= 14
    for c in [c for c in t.columns if c.startswith(("carbon_kg", "operational_kg"))]:
        t.loc[perf, c] *= 8
        t.loc[energy, c] *= 6
    return SweepResults(t)


def _facecolours(fig: Figure) -> dict[str, set[str]]:
    """Legend label -> the colours its artists are drawn with, over all axes of ``fig``."""
    out: dict[str, set[str]] = {}
    for ax in fig.axes:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if hasattr(h, "patches"):  # a bar container
                cols = {to_hex(p.get_facecolor(), keep_alpha=False) for p in h.patches}
            elif hasattr(h, "get_facecolor"):
                fc = np.atleast_2d(h.get_facecolor())
                cols = {to_hex(c, keep_alpha=False) for c in fc} if len(fc) else set()
                if not cols or fc[0][3] == 0:  # hollow marker: its edge carries the colour
                    cols = {to_hex(c, keep_alpha=False) for c in np.atleast_2d(h.get_edgecolor())}
            else:
                cols = {to_hex(h.get_color(), keep_alpha=False)}
            out.setdefault(label, set()).update(cols)
    return out


def test_overlap_check_can_fail() -> None:
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second label", transform=ax.transAxes)
    assert overlapping_texts(fig) == [("'first label'", "'second label'")]
    fig2, ax2 = plt.subplots(figsize=(4, 3))  # rotated neighbours that do not touch
    ax2.set_xticks([0, 1, 2], ["a long tick label"] * 3, rotation=30, ha="right")
    assert overlapping_texts(fig2) == []


def test_palette_one_colour_per_meaning() -> None:
    colours = [c.upper() for c in palette.MEANINGS.values()]
    assert len(colours) == len(set(colours)), "two meanings share a colour"
    assert palette.type_colours(["l4", "h100", "l4"]) == {
        "h100": palette.TYPE_SERIES[0],
        "l4": palette.TYPE_SERIES[1],
    }


def test_pareto_far_baselines_stay_off_scale(front: SweepResults) -> None:
    far = _far_baselines(front)
    fig = plot_pareto(far)
    ax = fig.axes[0]
    assert overlapping_texts(fig) == []
    pts = far.pareto_front()
    xlo, xhi = ax.get_xlim()
    ylo, yhi = ax.get_ylim()
    # the front fills most of the axes instead of a corner
    assert (pts["cost_usd"].max() - pts["cost_usd"].min()) / (xhi - xlo) > 0.6
    assert (pts["carbon_kg"].max() - pts["carbon_kg"].min()) / (yhi - ylo) > 0.6
    labels = ax.get_legend_handles_labels()[1]
    assert "performance-optimised (off-scale)" in labels
    assert "energy-optimised (off-scale)" in labels
    assert "cost-optimised" in labels  # on the front: drawn where it is
    # the off-scale designs carry their values
    base = far.baselines().set_index("objective")
    texts = [t.get_text() for t in ax.texts]
    perf = base.loc["performance"]
    want = f"{perf['cost_usd'] / 1000:.2f} k USD, {perf['carbon_kg'] / 1000:.2f} tCO2e"
    assert any(want in t for t in texts), texts
    # the numbered front points and the list of their fleets
    assert {str(i + 1) for i in range(len(pts))} <= set(texts)
    design_legend = ax.get_legend()
    assert design_legend.get_title().get_text() == "front designs (year 1)"
    assert [t.get_text() for t in design_legend.get_texts()][0] == f"1  {pts['design'].iloc[0]}"


def test_pareto_colours_from_the_palette(front: SweepResults) -> None:
    cols = _facecolours(plot_pareto(_far_baselines(front)))
    for obj, label in palette.OBJECTIVE_LABELS.items():
        key = next(k for k in cols if k.startswith(label))
        assert cols[key] == {palette.OBJECTIVE_COLOURS[obj].lower()}
    assert cols["evaluated points"] == {palette.EVALUATED.lower()}


def test_breakdown_outlier_is_cut_and_labelled(front: SweepResults) -> None:
    far = _far_baselines(front)
    fig = plot_breakdown(far)
    ax = fig.axes[0]
    assert overlapping_texts(fig) == []
    total = far.baselines().set_index("objective").loc["performance", "carbon_kg"]
    cap = outlier_cap(np.append(far.pareto_front()["carbon_kg"].to_numpy(), [total]))
    assert cap is not None
    assert ax.get_ylim()[1] < total  # kgCO2e axis: the outlier does not set the scale
    ordinary = far.pareto_front()["carbon_kg"].max()
    assert ordinary / ax.get_ylim()[1] > 0.6
    assert any(t.get_text().startswith(f"{total / 1000:.2f} tCO2e") for t in ax.texts)
    assert outlier_cap(np.array([1.0, 1.1, 1.2])) is None  # no outlier, no cut


def test_sensitivity_shows_embodied_share_and_hosts(sens: SweepResults) -> None:
    fig = plot_sensitivity(sens)
    assert overlapping_texts(fig) == []
    _gpus, hosts, _carbon, share = fig.axes[:4]
    assert hosts.get_ylabel() == "hosts (year 1)"
    t = sens.sweep().sort_values("grid_intensity")
    want = 100.0 * t["embodied_kg"].to_numpy() / t["carbon_kg"].to_numpy()
    line = next(ln for ln in share.get_lines() if ln.get_label() == "embodied share")
    assert line.get_ydata() == pytest.approx(want, rel=1e-6)
    assert share.get_ylim()[1] >= want.max()


def test_same_colour_same_meaning_across_figures(
    front: SweepResults, sens: SweepResults, tiny_solved: object
) -> None:
    from ecoserve_opt.plot.fleet import carbon_breakdown, power_profile

    figs = [
        plot_breakdown(front),
        plot_sensitivity(sens),
        power_profile(tiny_solved),  # type: ignore[arg-type]
        carbon_breakdown(tiny_solved),  # type: ignore[arg-type]
    ]
    seen: dict[str, set[str]] = {}
    for fig in figs:
        for label, cols in _facecolours(fig).items():
            seen.setdefault(label, set()).update(cols)
    for comp, colour in palette.COMPONENT_COLOURS.items():
        for label in (f"{comp} operational", f"{comp} embodied", f"{comp} power"):
            if label in seen:
                assert seen[label] == {colour.lower()}, label
    assert seen["operational"] == {palette.OPERATIONAL.lower()}
    assert seen["embodied (amortised)"] == {palette.EMBODIED.lower()}
    # component, total and type colours never stand for anything else
    used = {c for cols in seen.values() for c in cols}
    types = {c.lower() for c in palette.TYPE_SERIES}
    for label, cols in seen.items():
        if label.endswith(("GPUs", "hosts")) and label not in ("hosts",):
            assert cols <= types, label
    assert used


@pytest.fixture(scope="module")
def tiny_solved() -> object:
    from tests.helpers import solve_dict, tiny

    return solve_dict(tiny())


def test_figures_without_points_say_so() -> None:
    empty = SweepResults(pd.DataFrame())
    assert overlapping_texts(plot_pareto(empty)) == []
    assert overlapping_texts(plot_breakdown(empty)) == []

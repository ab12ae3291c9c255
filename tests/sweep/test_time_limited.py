"""Time-limited points (stopped by a limit: not proven optimal) are marked in sweep tables
and plots and kept off Pareto fronts unless asked (issue 12)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from ecoserve_opt.plot import plot_breakdown, plot_pareto, plot_sensitivity  # noqa: E402
from ecoserve_opt.studies.store import SweepResults, _tidy  # noqa: E402


def _front_table() -> pd.DataFrame:
    """Four front points; p2 is time-limited and would dominate p1 and p3."""
    return _tidy(
        pd.DataFrame(
            {
                "point_id": ["p0", "p1", "p2", "p3"],
                "kind": ["anchor", "front", "front", "anchor"],
                "objective": ["carbon", "cost", "cost", "cost"],
                "status": ["optimal", "optimal", "feasible", "optimal"],
                "cost_usd": [300.0, 200.0, 150.0, 100.0],
                "carbon_kg": [100.0, 150.0, 120.0, 300.0],
                "gap": [0.0, 0.0, 0.3, 0.0],
                "design": ["a", "b", "c", "d"],
            }
        )
    )


def test_time_limited_column_and_front() -> None:
    res = SweepResults(_front_table())
    assert list(res.table["time_limited"]) == [False, False, True, False]
    assert list(res.pareto_front("cost", "carbon")["point_id"]) == ["p3", "p1", "p0"]
    with_tl = res.pareto_front("cost", "carbon", include_time_limited=True)
    assert list(with_tl["point_id"]) == ["p3", "p2", "p0"]


def _labels(fig: matplotlib.figure.Figure) -> list[str]:
    return [t for ax in fig.axes for t in ax.get_legend_handles_labels()[1]]


def test_pareto_plot_marks_time_limited_points() -> None:
    fig = plot_pareto(_front_table(), x="cost", y="carbon")
    labels = _labels(fig)
    assert "time-limited, not proven optimal (1)" in labels
    assert "Pareto front (3 designs)" in labels
    fig2 = plot_pareto(_front_table(), x="cost", y="carbon", include_time_limited=True)
    assert "Pareto front (3 designs)" in _labels(fig2)  # p2 replaces p1


def test_sensitivity_plot_marks_time_limited_points() -> None:
    t = _tidy(
        pd.DataFrame(
            {
                "point_id": ["s0", "s1", "s2"],
                "kind": "sweep",
                "grid_intensity": [0.0, 100.0, 200.0],
                "status": ["optimal", "feasible", "optimal"],
                "carbon_kg": [10.0, 20.0, 30.0],
                "operational_kg": [0.0, 10.0, 20.0],
                "embodied_kg": [10.0, 10.0, 10.0],
                "embodied_kg:GPU": [10.0, 10.0, 10.0],
                "operational_kg:GPU": [0.0, 10.0, 20.0],
                "gpu:h100": [1.0, 1.0, 1.0],
                "host:genoa": [1.0, 1.0, 1.0],
                "design": ["x", "x", "x"],
            }
        )
    )
    fig = plot_sensitivity(t, param="grid_intensity")
    assert "time-limited, not proven optimal (1)" in _labels(fig)


def test_breakdown_plot_marks_time_limited_points() -> None:
    t = _tidy(
        pd.DataFrame(
            {
                "point_id": ["s0", "s1"],
                "kind": "sweep",
                "grid_intensity": [0.0, 100.0],
                "status": ["optimal", "feasible"],
                "carbon_kg": [10.0, 20.0],
                "operational_kg": [0.0, 10.0],
                "embodied_kg": [10.0, 10.0],
                "embodied_kg:GPU": [10.0, 10.0],
                "operational_kg:GPU": [0.0, 10.0],
                "design": ["x", "y"],
            }
        )
    )
    assert "time-limited, not proven optimal (1)" in _labels(plot_breakdown(t))
    t.loc[1, "status"] = "optimal"
    assert not any("time-limited" in lb for lb in _labels(plot_breakdown(t)))

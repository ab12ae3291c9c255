"""Time-limited points (stopped by a limit: not proven optimal) are marked in sweep tables
and plots and kept off Pareto fronts unless asked (issue 12)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

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


def test_plot_command_keeps_time_limited_points_off_the_front_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ecoserve plot --kind pareto` draws the front without p2 (time-limited) by default
    and with it under --include-time-limited."""
    from typer.testing import CliRunner

    import ecoserve_opt.plot as plot_mod
    from ecoserve_opt.cli import app

    monkeypatch.setattr(SweepResults, "load", classmethod(lambda cls, p: cls(_front_table())))
    seen: list[list[str]] = []
    real = plot_mod.plot_pareto

    def spy(res: SweepResults, **kw: object) -> matplotlib.figure.Figure:
        front = res.pareto_front(
            "cost", "carbon", include_time_limited=bool(kw.get("include_time_limited"))
        )
        seen.append(list(front["point_id"]))
        return real(res, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(plot_mod, "plot_pareto", spy)
    base = ["plot", str(tmp_path), "--kind", "pareto", "--x", "cost", "--y", "carbon"]
    for flag in ([], ["--include-time-limited"]):
        r = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "f.svg"), *flag])
        assert r.exit_code == 0, r.output
    assert seen == [["p3", "p1", "p0"], ["p3", "p2", "p0"]]

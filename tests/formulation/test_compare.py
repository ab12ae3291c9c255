"""compare: baselines vs EcoServe on the tiny scenario, numbers worked out by hand.

performance-optimised: lowest per-token latency = gpu-b (0.5/100 + 0.005 = 0.010 s vs
  gpu-a's 0.020 s), 3 gpu-b at least cost -> 5061.6 kg (test_tiny_optimum, option B).
energy/cost/carbon-optimised and EcoServe (all pillars off in the tiny file): 3950.2 kg.
EcoServe's reduction vs performance-optimised: (5061.6 - 3950.2) / 5061.6 = 21.957%.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt.compare import compare, cpu_reuse_saving, design_points
from ecoserve_opt.io.yaml_loader import validate_dict

pytestmark = pytest.mark.milp


def test_compare_table(tiny_dict: dict[str, Any]) -> None:
    table = compare(validate_dict(tiny_dict)).set_index("design_point")
    assert table.loc["performance-optimised", "carbon_kg"] == pytest.approx(5061.6)
    for name in ("energy-optimised", "cost-optimised", "carbon-optimised", "EcoServe"):
        assert table.loc[name, "carbon_kg"] == pytest.approx(3950.2)
    assert table.loc["performance-optimised", "ecoserve_reduction"] == pytest.approx(
        (5061.6 - 3950.2) / 5061.6
    )
    assert (table["status"] == "optimal").all()


def test_compare_reports_offline_split_and_cpu_saving(tiny_dict: dict[str, Any]) -> None:
    """Offline 20 tok/s with cheap host CPUs (see test_pillars): all of it goes to host CPUs
    under EcoServe and the saving vs no CPU reuse is 282.8 - 1314*0.1 = 151.4 kg."""
    tiny_dict["llms"]["tiny-llm"]["offline"] = {
        "tokens_per_day": 20 * 86400,
        "input_tokens": 100,
        "output_tokens": 100,
    }
    tiny_dict["pillars"]["reuse_host_cpus"] = True
    loaded = validate_dict(tiny_dict)
    names = [p.name for p in design_points(loaded)]
    assert "EcoServe without host-CPU reuse" in names
    table = compare(loaded, ablation=False)
    eco = table.set_index("design_point").loc["EcoServe"]
    assert eco["offline_host_cpu"] == pytest.approx(1.0)
    assert eco["offline_gpu"] == pytest.approx(0.0)
    assert cpu_reuse_saving(table) == pytest.approx(282.8 - 131.4)


def test_compare_cli(tiny_dict: dict[str, Any], tmp_path: Any) -> None:
    from ecoserve_opt.cli import app

    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    out = tmp_path / "cmp.csv"
    r = CliRunner().invoke(app, ["compare", str(p), "--no-ablation", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "EcoServe vs performance-optimised: 22.0% lower carbon" in r.output
    assert out.read_text().startswith("design_point,")


def test_within_gap_flags_solver_noise() -> None:
    import pandas as pd

    from ecoserve_opt.compare import within_gap

    table = pd.DataFrame(
        {
            "design_point": ["EcoServe", "EcoServe without host-CPU reuse", "cost-optimised"],
            "carbon_kg": [57120.0, 57390.0, 83860.0],
            "gap": [0.0099, 0.0047, 0.0],
        }
    )
    # 270 kg apart, gap allows 0.99% of 57390 = 568 kg: not significant
    assert within_gap(table, "EcoServe", "EcoServe without host-CPU reuse")
    assert not within_gap(table, "EcoServe", "cost-optimised")

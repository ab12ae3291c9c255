"""compare: the two baseline families and EcoServe on the tiny scenario, numbers by hand.

The tiny file enables only Rightsize, so both families share one design space here.
performance-optimised: lowest per-token latency = gpu-b (0.5/100 + 0.005 = 0.010 s vs
  gpu-a's 0.020 s; gpu-a is 100% slower, outside the 10% tolerance), 3 gpu-b at least
  cost -> 5061.6 kg (test_tiny_optimum, option B).
energy/cost/carbon-optimised and EcoServe: 3950.2 kg.
EcoServe's reduction vs performance-optimised: (5061.6 - 3950.2) / 5061.6 = 21.957%.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ecoserve_opt.compare import (
    check_invariants,
    compare,
    cpu_reuse_saving,
    design_points,
    pillar_effects,
    within_gap,
    write_compare,
)
from ecoserve_opt.io.yaml_loader import validate_dict
from tests.helpers import COMPARE_REQUIRED_COLUMNS

pytestmark = pytest.mark.milp


def test_compare_table(tiny_dict: dict[str, Any]) -> None:
    table = compare(validate_dict(tiny_dict)).set_index("design")
    for fam in ("conventional ", ""):
        assert table.loc[f"{fam}performance-optimised", "carbon_kg"] == pytest.approx(5061.6)
        for name in ("energy-optimised", "cost-optimised"):
            assert table.loc[f"{fam}{name}", "carbon_kg"] == pytest.approx(3950.2)
    assert table.loc["conventional carbon-optimised", "carbon_kg"] == pytest.approx(3950.2)
    assert table.loc["EcoServe", "carbon_kg"] == pytest.approx(3950.2)
    assert table.loc["performance-optimised", "ecoserve_reduction"] == pytest.approx(
        (5061.6 - 3950.2) / 5061.6
    )
    assert table.loc["performance-optimised", "latency_min_s_per_token"] == pytest.approx(0.010)
    assert table.loc["performance-optimised", "latency_tolerance"] == pytest.approx(0.10)
    assert (table["status"] == "optimal").all()
    assert set(table["family"]) == {"conventional", "same-design-space", "leave-one-out"}
    assert check_invariants(table.reset_index()) == []


def test_design_points_families(tiny_dict: dict[str, Any]) -> None:
    """Conventional: Rightsize only; same-design-space: the scenario's pillars; one
    leave-one-out per enabled pillar and one add-one per enabled pillar not in the
    conventional design."""
    for p in ("reduce", "recycle", "shift_offline"):
        tiny_dict["pillars"][p] = True
    pts = {p.name: p for p in design_points(validate_dict(tiny_dict))}
    conv = pts["conventional cost-optimised"]
    assert conv.family == "conventional"
    assert [k for k, v in conv.pillars.items() if v] == ["rightsize"]
    eco = pts["EcoServe"]
    assert eco.family == "same-design-space"
    assert eco.objective == "carbon"
    assert pts["cost-optimised"].pillars == eco.pillars
    loo = sorted(n for n, p in pts.items() if p.family == "leave-one-out")
    assert loo == [
        f"EcoServe without {p}" for p in ("recycle", "reduce", "rightsize", "shift_offline")
    ]
    add = sorted(n for n, p in pts.items() if p.family == "add-one")
    assert add == [
        f"conventional carbon-optimised + {p}" for p in ("recycle", "reduce", "shift_offline")
    ]
    assert not pts["EcoServe without reduce"].pillars["reduce"]


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
    table = compare(loaded)
    eco = table.set_index("design").loc["EcoServe"]
    assert eco["offline_share_host_cpu"] == pytest.approx(1.0)
    assert eco["offline_gpu"] == pytest.approx(0.0)
    assert cpu_reuse_saving(table) == pytest.approx(282.8 - 131.4)
    effects = pillar_effects(table).set_index("pillar")
    assert effects.loc["reuse_host_cpus", "leave_one_out_kg"] == pytest.approx(282.8 - 131.4)
    assert effects.loc["reuse_host_cpus", "add_one_kg"] == pytest.approx(282.8 - 131.4)
    assert not effects.loc["reuse_host_cpus", "leave_one_out_within_gap"]
    assert check_invariants(table) == []


def test_within_gap_flags_solver_noise() -> None:
    table = pd.DataFrame(
        {
            "design": ["EcoServe", "EcoServe without reuse_host_cpus", "cost-optimised"],
            "carbon_kg": [57120.0, 57390.0, 83860.0],
            "gap": [0.0099, 0.0047, 0.0],
        }
    )
    # 270 kg apart, gap allows 0.99% of 57390 = 568 kg: not significant
    assert within_gap(table, "EcoServe", "EcoServe without reuse_host_cpus")
    assert not within_gap(table, "EcoServe", "cost-optimised")


def _row(design: str, family: str, objective: str, **metrics: float) -> dict[str, Any]:
    base = {"carbon_kg": 100.0, "cost_usd": 100.0, "energy_kwh": 100.0}
    base["latency_s_per_token"] = 0.02
    return {"design": design, "family": family, "objective": objective, "status": "optimal",
            "gap": 0.0, **base, **metrics}  # fmt: skip


def test_check_invariants_names_the_violations() -> None:
    """A cost-optimised design dearer than another of its family, and an EcoServe above a
    conventional design, are reported; differences inside the gap are not."""
    rows = [
        _row("cost-optimised", "same-design-space", "cost", cost_usd=120.0),
        _row("EcoServe", "same-design-space", "carbon", carbon_kg=99.0),
        _row(
            "performance-optimised",
            "same-design-space",
            "performance",
            latency_s_per_token=0.0215,
            latency_tolerance=0.1,
        ),  # fmt: skip
        _row("conventional carbon-optimised", "conventional", "carbon", carbon_kg=98.0),
    ]
    bad = check_invariants(pd.DataFrame(rows))
    assert len(bad) == 3, bad  # cost-optimised vs two designs of its family, EcoServe
    assert bad[0] == (
        "same-design-space: cost-optimised (cost_usd 120, gap 0) is not best on its own "
        "metric: EcoServe has 100"
    )
    assert bad[2] == "EcoServe's carbon 99 exceeds conventional carbon-optimised's 98"
    rows[0]["gap"] = 0.2  # 120 * (1 - 0.2) = 96 <= 100: within the gap
    rows[3]["carbon_kg"] = 99.0
    assert check_invariants(pd.DataFrame(rows)) == []
    rows[2]["latency_s_per_token"] = 0.0221  # > 1.1 x 0.02
    bad = check_invariants(pd.DataFrame(rows))
    assert len(bad) == 2, bad
    assert all("performance-optimised (latency_s_per_token 0.0221" in b for b in bad)


def test_write_compare(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    table = compare(validate_dict(tiny_dict), ablation=False)
    path = write_compare(table, tmp_path / "out")
    assert path == tmp_path / "out" / "compare.csv"
    back = pd.read_csv(path)
    required = COMPARE_REQUIRED_COLUMNS
    assert set(required) <= set(back.columns)
    assert len(back) == 8
    assert (tmp_path / "out" / "pillar_effects.csv").exists()


def test_a_repeated_presolve_warning_is_logged_once(
    tiny_dict: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The same pre-solve finding (e.g. owned GPUs no candidate host takes, with Reuse off)
    holds for every design point of a scenario: compare shows it once, not once per
    design; a different message still gets through, and the filter is gone afterwards."""
    import logging

    from ecoserve_opt import compare as compare_mod
    from ecoserve_opt.exceptions import InfeasibleError

    api_log = logging.getLogger("ecoserve_opt.api")
    calls: list[str] = []

    def fake_solve(sc: Any, objective: str, **_: Any) -> Any:
        calls.append(objective)
        api_log.warning("%s", "owned gpu can never be used")
        api_log.warning("%s", f"design {len(calls)}")
        raise InfeasibleError("no fleet")

    monkeypatch.setattr(compare_mod, "solve", fake_solve)
    with caplog.at_level(logging.WARNING, logger="ecoserve_opt.api"):
        table = compare(validate_dict(tiny_dict), ablation=False)
        api_log.warning("%s", "owned gpu can never be used")  # after compare: not filtered
    msgs = [r.getMessage() for r in caplog.records if r.name == "ecoserve_opt.api"]
    assert len(calls) == len(table) == 8
    assert msgs.count("owned gpu can never be used") == 2  # once in compare, once after
    assert [m for m in msgs if m.startswith("design ")] == [f"design {i}" for i in range(1, 9)]
    assert (table["status"] == "infeasible").all()

"""compare.csv on the bundled scenarios holds the comparison's invariants (issue 12).

Within each family (one design space) every design is best on its own metric within its
MIP gap, EcoServe is best on carbon and no worse than any conventional design; the
performance designs keep latency within the tolerance of the minimum. Small settings (few
time slots, one year, a 2% gap) keep the non-slow test short; the full comparison with
the pillar-effect families is marked slow.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import ecoserve_opt as eo
from ecoserve_opt.compare import check_invariants, compare, pillar_effects, write_compare
from tests.conftest import REPO
from tests.helpers import COMPARE_REQUIRED_COLUMNS

pytestmark = pytest.mark.milp

REQUIRED = COMPARE_REQUIRED_COLUMNS
SMALL = {"time_slots": 2, "solver.mip_rel_gap": 0.02}


def _check(csv: Path) -> pd.DataFrame:
    table = pd.read_csv(csv)
    assert set(REQUIRED) <= set(table.columns)
    assert (table["status"] == "optimal").all(), table[["design", "status"]]
    assert check_invariants(table) == []
    # The total is its three parts: operational, amortised embodied and Recycle's
    # obsolescence charge (steady-state lifetime accounting), on every row.
    parts = table["operational_kg"] + table["embodied_kg"] + table["obsolescence_kg"]
    assert (abs(parts - table["carbon_kg"]) <= 1e-6 * table["carbon_kg"]).all(), table
    same = table[table["family"] == "same-design-space"].set_index("design")
    for design, metric in (
        ("cost-optimised", "cost_usd"),
        ("energy-optimised", "energy_kwh"),
        ("EcoServe", "carbon_kg"),
    ):
        best = same[metric].min()
        assert same.loc[design, metric] * (1 - same.loc[design, "gap"]) <= best * (1 + 1e-9)
    for prefix in ("", "conventional "):
        perf = table.set_index("design").loc[f"{prefix}performance-optimised"]
        lat, lmin = perf["latency_s_per_token"], perf["latency_min_s_per_token"]
        assert lmin * (1 - 1e-6) <= lat <= lmin * (1 + perf["latency_tolerance"]) * (1 + 1e-6)
    return table


def test_compare_csv_invariants_paper_one_year(tmp_path: Path) -> None:
    loaded = eo.load_scenario(
        REPO / "scenarios" / "ecoserve_paper.yaml", scenario="one_year", overrides=SMALL
    )
    table = compare(loaded, ablation=False)
    table = _check(write_compare(table, tmp_path))
    assert list(table["family"].unique()) == ["conventional", "same-design-space"]
    assert len(table) == 8


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "group"), [("default.yaml", None), ("ecoserve_paper.yaml", "one_year")]
)
def test_compare_csv_invariants_full(scenario: str, group: str | None, tmp_path: Path) -> None:
    loaded = eo.load_scenario(REPO / "scenarios" / scenario, scenario=group, overrides=SMALL)
    table = _check(write_compare(compare(loaded), tmp_path))
    assert {"leave-one-out", "add-one"} <= set(table["family"])
    effects = pd.read_csv(tmp_path / "pillar_effects.csv")
    assert list(effects["pillar"]) == list(pillar_effects(table)["pillar"])
    assert effects["leave_one_out_within_gap"].notna().all()

"""Property-based tests over generated scenarios (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoserve_opt.exceptions import InfeasibleError, ScenarioError
from ecoserve_opt.io.yaml_loader import validate_dict

PILLARS = ["reduce", "reuse", "reuse_host_cpus", "rightsize", "recycle", "shift_offline"]

scenario_changes = st.fixed_dictionaries(
    {
        # demands below ~1e-5 of a replica's capacity are under HiGHS's tolerances and are
        # flagged by checks.check_ranges (test below), so the generator stays above them
        "online": st.one_of(st.none(), st.just(0.0), st.floats(1.0, 3000)),
        "offline": st.one_of(st.none(), st.just(0.0), st.floats(1e4, 5e7)),
        "tpot_slo_ms": st.sampled_from([3, 8, 20, 100]),
        "slots": st.sampled_from([1, 2, 4]),
        "pillars": st.fixed_dictionaries({p: st.booleans() for p in PILLARS}),
        "hosts": st.sets(st.sampled_from(["host-x", "host-r", "host-c"]), min_size=1),
        "owned_gpus": st.integers(0, 4),
        "intensity": st.floats(0.0, 1.0),
    }
)


def _apply(base: dict[str, Any], ch: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(base)
    llm: dict[str, Any] = {}
    if ch["online"] is not None:
        llm["online"] = {
            **d["llms"]["tiny-llm"]["online"],
            "tokens_per_s": ch["online"],
            "tpot_slo": ch["tpot_slo_ms"] / 1e3,
        }
    if ch["offline"] is not None or not llm:
        llm["offline"] = {
            "tokens_per_day": 1e6 if ch["offline"] is None else ch["offline"],
            "input_tokens": 100,
            "output_tokens": 100,
            "window": [2, 20],
        }
    d["llms"] = {"tiny-llm": llm}
    d["time_slots"] = ch["slots"]
    d["pillars"] = ch["pillars"]
    d["hardware"]["hosts"] = sorted(ch["hosts"])
    d["grid"]["intensity"] = f"{ch['intensity']!r} kgCO2e/kWh"
    d["inventory"] = {"gpus": [{"gpu": "gpu-a", "count": ch["owned_gpus"], "age_years": 2}]}
    return d


@pytest.mark.milp
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ch=scenario_changes)
def test_any_valid_scenario_solves_or_is_diagnosed(
    tiny_dict: dict[str, Any], ch: dict[str, Any]
) -> None:
    """Either a solution whose independently recomputed carbon equals the solver's
    objective, or an InfeasibleError naming the culprit; never anything else."""
    import ecoserve_opt as eo

    loaded = validate_dict(_apply(tiny_dict, ch))
    try:
        res = eo.solve(loaded)
    except InfeasibleError as exc:
        assert "llms.tiny-llm" in str(exc) or "year" in str(exc)
        return
    assert res.status.has_solution, res.status
    # results.py recomputes carbon from the chosen fleet and loads, not from the model
    assert res.metrics["carbon_kg"] == pytest.approx(res.metrics["objective"], rel=1e-6, abs=1e-6)
    assert res.metrics["carbon_kg"] >= -1e-9


def test_tiny_demand_is_flagged(tiny_dict: dict[str, Any]) -> None:
    from ecoserve_opt.checks import run_checks
    from ecoserve_opt.data import build_data

    tiny_dict["llms"]["tiny-llm"]["offline"] = {"tokens_per_day": 1.0}
    found = run_checks(build_data(validate_dict(tiny_dict)), strict=False)
    msgs = [str(f) for f in found if f.where == "llms.tiny-llm.offline"]
    assert msgs == [
        "warning: [ranges] llms.tiny-llm.offline: year 1: 1 tokens/day is below 1e-5 of one "
        "replica's capacity, under the solver's tolerances; results for it are unreliable"
    ]


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(
    doc=st.dictionaries(
        st.sampled_from(
            ["name", "grid", "llms", "hardware", "pillars", "solver", "horizon", "bogus", "include"]
        ),
        yaml_values,
        max_size=6,
    )
)
def test_fuzzed_yaml_never_crashes_loader(tmp_path_factory: Any, doc: dict[str, Any]) -> None:
    from ecoserve_opt.io.yaml_loader import load_scenario

    p = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    p.write_text(yaml.safe_dump(doc))
    try:
        load_scenario(p)
    except ScenarioError as exc:
        assert str(exc).startswith(str(p))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_fuzzed_text_never_crashes_loader(tmp_path_factory: Any, text: str) -> None:
    from ecoserve_opt.io.yaml_loader import load_scenario

    p = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    p.write_text(text, encoding="utf-8")
    try:
        load_scenario(p)
    except ScenarioError as exc:
        assert str(exc).startswith(str(p))

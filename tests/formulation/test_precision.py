"""Precision as a Rightsize choice (``llms.<name>.precisions``, issue 21).

A small one-service scenario on the bundled catalog (one slot, exact MIP gap) solved with
different allowed precisions: memory fit, SLO, the MILP's pick, never a disallowed
precision, carbon never rises when more precisions are allowed, and ``compare`` shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ecoserve_opt as eo
from ecoserve_opt.compare import compare, precision_mix
from ecoserve_opt.data import build_data
from ecoserve_opt.exceptions import EcoserveError, ScenarioError
from ecoserve_opt.io.yaml_loader import validate_dict


def small(
    precisions: list[str],
    gpus: tuple[str, ...] = ("h100-80gb",),
    tp: tuple[int, ...] = (1, 2, 4, 8),
    tpot: str = "100 ms",
    llm: str = "llama3-70b",
) -> dict[str, Any]:
    """One online service, one slot, flat grid, no headroom; only Rightsize on."""
    return {
        "name": "precision-small",
        "catalog": "default",
        "horizon": "1 year",
        "time_slots": 1,
        "grid": {"intensity": "400 gCO2e/kWh", "hourly_shape": "flat", "pue": 1.1},
        "llms": {
            llm: {
                "online": {
                    "requests_per_s": 5,
                    "input_tokens": 1024,
                    "output_tokens": 256,
                    "ttft_slo": "2 s",
                    "tpot_slo": tpot,
                    "diurnal": "flat",
                    "headroom_rule": "none",
                },
                "precisions": precisions,
            }
        },
        "hardware": {
            "gpus": list(gpus),
            "hosts": ["genoa-8sxm", "rome-8sxm"],
            "tp_degrees": list(tp),
        },
        "pillars": {
            "reduce": False,
            "reuse": False,
            "reuse_host_cpus": False,
            "rightsize": True,
            "recycle": False,
            "shift_offline": False,
        },
        "solver": {"mip_rel_gap": 0.0, "threads": 1},
    }


def replicas(r: eo.Results) -> pd.DataFrame:
    return r.tables["replicas"]


def test_default_is_bf16_only() -> None:
    """No ``precisions`` given: every operating point and replica is bf16 (default results
    do not move)."""
    data = small(["bf16"])
    del data["llms"]["llama3-70b"]["precisions"]
    loaded = validate_dict(data)
    assert loaded.scenario.llms["llama3-70b"].precisions == ["bf16"]
    d = build_data(loaded)
    assert d.points
    assert {p.precision for p in d.points} == {"bf16"}
    assert {r.precision for r in d.replicas} == {"bf16"}


def test_memory_fit_only_at_fp8() -> None:
    """Llama-3-70B (141 GB at 16 bit) never fits one 80 GB H100; at FP8 (70.6 GB of
    weights <= 0.9 x 80 GB) it does, with room for one 1280-token sequence."""
    bf16 = build_data(validate_dict(small(["bf16"], tp=(1,))))
    assert bf16.points == []
    fp8 = build_data(validate_dict(small(["bf16", "fp8"], tp=(1,))))
    assert fp8.points
    assert {(p.tp, p.precision) for p in fp8.points} == {(1, "fp8")}
    # KV cache at 1 byte: 0.9 x 80 - 70.554 = 1.446 GB / (1280 x 163,840 B) = 6.9 sequences
    assert max(p.batch for p in fp8.points) == 4
    r = eo.solve(validate_dict(small(["bf16", "fp8"], tp=(1,))))
    assert r.status.has_solution
    assert set(replicas(r)["precision"]) == {"fp8"}
    assert set(replicas(r)["tp"]) == {1}


def test_int4_fits_where_bf16_and_fp8_do_not() -> None:
    """On A100-40GB at TP 2 (72 GB usable) Llama-3-70B fits only as weight-only INT4
    (70.554 x 0.5156 / 2 = 18.2 GB per GPU); INT8 (35.3 GB) fits too, bf16 (70.6) not."""

    def points(allowed: list[str]) -> set[str]:
        d = build_data(validate_dict(small(allowed, gpus=("a100-40gb",), tp=(2,))))
        return {p.precision for p in d.points}

    assert points(["bf16"]) == set()
    assert points(["bf16", "int8"]) == {"int8"}
    assert points(["bf16", "int4"]) == {"int4"}


def test_slo_met_only_at_fp8() -> None:
    """A TPOT SLO between the best FP8 and the best bf16 decode step of Llama-3-8B on one
    H100: only FP8 points serve online load."""
    best = {}
    for q in ("bf16", "fp8"):
        d = build_data(validate_dict(small([q], llm="llama3-8b", tp=(1,), tpot="1 s")))
        best[q] = min(d.tpot_s[p] for p in d.points)
    assert best["fp8"] < best["bf16"]
    slo = f"{(best['fp8'] + best['bf16']) / 2 * 1e3:.4f} ms"
    only16 = validate_dict(small(["bf16"], llm="llama3-8b", tp=(1,), tpot=slo))
    assert build_data(only16).points == []
    loaded = validate_dict(small(["bf16", "fp8"], llm="llama3-8b", tp=(1,), tpot=slo))
    d = build_data(loaded)
    assert d.points
    assert {p.precision for p in d.points} == {"fp8"}
    assert all(d.tpot_s[p] <= (best["fp8"] + best["bf16"]) / 2 + 1e-12 for p in d.points)
    r = eo.solve(loaded)
    assert r.status.has_solution
    assert set(replicas(r)["precision"]) == {"fp8"}


def test_milp_picks_fp8_when_allowed_and_it_lowers_carbon() -> None:
    r16 = eo.solve(validate_dict(small(["bf16"])))
    r8 = eo.solve(validate_dict(small(["bf16", "fp8"])))
    assert set(replicas(r16)["precision"]) == {"bf16"}
    assert set(replicas(r8)["precision"]) == {"fp8"}
    assert r8.metrics["carbon_kg"] < r16.metrics["carbon_kg"]
    assert r8.metrics["gpus"] < r16.metrics["gpus"]
    # the utilisation table names the precision of every served point too
    assert set(r8.tables["utilisation"]["precision"]) == {"fp8"}


@pytest.mark.parametrize(
    ("allowed", "gpus"),
    [
        (["fp8"], ("h100-80gb",)),
        (["int4"], ("h100-80gb",)),
        (["bf16", "int8"], ("h100-80gb", "a100-80gb")),
        (["bf16", "fp8"], ("h100-80gb", "a100-80gb")),
    ],
)
def test_never_a_disallowed_precision(allowed: list[str], gpus: tuple[str, ...]) -> None:
    loaded = validate_dict(small(allowed, gpus=gpus))
    d = build_data(loaded)
    assert {p.precision for p in d.points} <= set(allowed)
    # FP8 only on GPUs with FP8 tensor cores
    assert all(p.gpu != "a100-80gb" for p in d.points if p.precision == "fp8")
    r = eo.solve(loaded)
    assert set(replicas(r)["precision"]) <= set(allowed)


def test_carbon_never_rises_with_more_precisions() -> None:
    """Each allowed set contains the previous one: the optimum (exact gap) cannot rise."""
    chain = [["bf16"], ["bf16", "int8"], ["bf16", "int8", "int4"], ["bf16", "int8", "int4", "fp8"]]
    carbon = []
    for allowed in chain:
        r = eo.solve(validate_dict(small(allowed, gpus=("h100-80gb", "a100-80gb"))))
        assert r.status.has_solution
        carbon.append(float(r.metrics["carbon_kg"]))
    assert all(b <= a * (1 + 1e-6) for a, b in zip(carbon, carbon[1:], strict=False))
    assert carbon[-1] < carbon[0]


def test_fp8_on_gpus_without_fp8_is_an_error_naming_the_field() -> None:
    loaded = validate_dict(small(["bf16", "fp8"], gpus=("a100-80gb",)))
    with pytest.raises(ScenarioError) as exc:
        build_data(loaded)
    msg = str(exc.value)
    assert "llms.llama3-70b.precisions" in msg
    assert "fp8 needs FP8 tensor cores" in msg
    assert "a100-80gb" in msg


def test_unknown_or_repeated_precision_is_a_schema_error() -> None:
    with pytest.raises(ScenarioError) as exc:
        validate_dict(small(["bf16", "fp4"]))
    assert str(exc.value).endswith(
        "llms.llama3-70b.precisions.1: Input should be 'bf16', 'fp8', 'int8' or 'int4'"
    )
    with pytest.raises(ScenarioError, match=r"llms\.llama3-70b\.precisions: .*listed twice"):
        validate_dict(small(["fp8", "fp8"]))


def test_precision_mix() -> None:
    reps = pd.DataFrame(
        {
            "year": [1, 1, 2],
            "precision": ["bf16", "fp8", "bf16"],
            "gpus": [2, 6, 100],
        }
    )
    assert precision_mix(reps) == "bf16 25% / fp8 75%"
    assert precision_mix(reps[reps["precision"] == "fp8"]) == "fp8"
    assert precision_mix(None) == "-"


def test_compare_shows_the_precision() -> None:
    """``compare`` adds a ``precision`` column when a scenario allows more than bf16 (and
    not otherwise, so default tables keep their columns)."""
    table = compare(validate_dict(small(["bf16", "fp8"])), ablation=False)
    assert "precision" in table.columns
    assert set(table["precision"]) == {"fp8"}
    from ecoserve_opt.cli.compare import compare_table

    t = compare_table(table)
    assert any("precision" in str(c.header) for c in t.columns)
    plain = compare(validate_dict(small(["bf16"])), ablation=False)
    assert "precision" not in plain.columns


@pytest.mark.parametrize(
    "objective", ["carbon", pytest.param("performance", marks=pytest.mark.slow)]
)
def test_dropping_dominated_precisions_keeps_the_optimum(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data/precision.py drops replicas another precision dominates; the optimum is the
    unpruned model's (exact gap; performance: latency, then cost)."""
    import ecoserve_opt.data.build as build

    data = small(["bf16", "int8", "int4", "fp8"], gpus=("h100-80gb", "a100-80gb"))
    data["llms"]["llama3-70b"]["offline"] = {"tokens_per_day": 5e7, "window": [0, 24]}
    pruned_n = len(build_data(validate_dict(data)).replicas)
    pruned = eo.solve(validate_dict(data), objective=objective)
    monkeypatch.setattr(build, "drop_dominated_precisions", lambda sv, f, *_a: (sv, f))
    assert len(build_data(validate_dict(data)).replicas) > pruned_n
    full = eo.solve(validate_dict(data), objective=objective)
    assert pruned.status.has_solution
    assert full.status.has_solution
    assert pruned.metrics["objective"] == pytest.approx(full.metrics["objective"], rel=1e-6)


def test_replay_refuses_fp8_replicas(tmp_path: Path) -> None:
    """The replay's time tables are the 16-bit profiles: an FP8 fleet is refused, naming
    the replica (docs/simulate.md)."""
    from ecoserve_opt.simulate import simulate

    folder = eo.solve(validate_dict(small(["bf16", "fp8"]))).to_dir(tmp_path / "fp8")
    with pytest.raises(EcoserveError, match=r"llama3-70b on \d x h100-80gb runs at fp8"):
        simulate(folder, duration_s=60)

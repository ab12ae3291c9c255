"""Objective values that must not change when the formulation is sped up.

Prints (JSON) for whichever ``ecoserve_opt`` is importable -- run it once on the current
tree and once with ``PYTHONPATH`` pointing at a patched copy, and compare:

* the tiny test scenario (``tests/fixtures/tiny``), MILP at gap 0 (hand-worked: 3950.2);
* generated sizes ``XS`` (Recycle/Reduce off) as MILPs at gap 0;
* the LP relaxation (integrality dropped, carbon objective) of generated sizes, which is
  deterministic and exact, so it compares the whole constraint matrix, not a MIP incumbent.

Usage::

    python benchmarks/check_equivalence.py --lp-sizes XS,S,M
    PYTHONPATH=/path/to/patched python benchmarks/check_equivalence.py --lp-sizes XS,S,M
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

try:  # imported as part of the benchmarks package (tests) or run as a script
    from benchmarks import generate as gen
except ImportError:  # pragma: no cover
    import generate as gen  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "fixtures" / "tiny"


def tiny_objective() -> float:
    """MILP optimum of the tiny scenario."""
    import ecoserve_opt as eo
    from ecoserve_opt.io.yaml_loader import validate_dict

    data = yaml.safe_load((TINY / "base.yaml").read_text())
    data["catalog"] = str(TINY / "catalog")
    return float(eo.solve(validate_dict(data)).metrics["objective"])


def milp_objective(size_name: str, folder: Path) -> float:
    """MILP optimum (gap 0) of a generated size with Recycle/Reduce off."""
    import ecoserve_opt as eo

    path = gen.write_scenario(
        gen.SIZES[size_name],
        folder,
        {"pillars.recycle": False, "pillars.reduce": False, "solver.mip_rel_gap": 0.0},
    )
    return float(eo.solve(eo.load_scenario(path)).metrics["objective"])


def lp_objective(size_name: str, folder: Path) -> float:
    """LP-relaxation optimum (carbon) of a generated size, all pillars on."""
    import pyomo.environ as pyo
    from pyomo.contrib.solver.solvers.highs import Highs

    import ecoserve_opt as eo
    from ecoserve_opt.data import build_data
    from ecoserve_opt.formulation import build_model
    from ecoserve_opt.formulation.objectives import objective_scale

    path = gen.write_scenario(gen.SIZES[size_name], folder)
    m = build_model(build_data(eo.load_scenario(path)), objective="carbon")
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    # the objective is scaled for HiGHS's tolerances: report it in kgCO2e
    return float(Highs().solve(m, load_solutions=False).incumbent_objective) / objective_scale(m)


def run(lp_sizes: list[str], milp_sizes: list[str]) -> dict[str, Any]:
    """All objective values, keyed by case."""
    import ecoserve_opt

    out: dict[str, Any] = {"ecoserve_opt": str(Path(ecoserve_opt.__file__).parent)}
    out["tiny_milp"] = tiny_objective()
    with tempfile.TemporaryDirectory(prefix="ecoserve-eq-") as tmp:
        for s in milp_sizes:
            out[f"{s}_milp_gap0"] = milp_objective(s, Path(tmp) / f"milp-{s}")
        for s in lp_sizes:
            out[f"{s}_lp"] = lp_objective(s, Path(tmp) / f"lp-{s}")
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description="objective values for equivalence checks")
    ap.add_argument("--lp-sizes", default="XS,S,M")
    ap.add_argument("--milp-sizes", default="XS")
    a = ap.parse_args(argv)
    split = [s for s in a.lp_sizes.split(",") if s], [s for s in a.milp_sizes.split(",") if s]
    print(json.dumps(run(*split), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

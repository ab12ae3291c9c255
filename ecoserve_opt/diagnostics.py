"""Diagnostics: pre-solve checks, slack mode and coefficient ranges (``ecoserve diagnose``).

Slack mode rebuilds the model with penalised unmet-demand variables (Calliope's
``ensure_feasibility``, PyPSA's load shedding), solves it and reports which LLM, class,
year and slot cannot be served, how much, and the likely reason from the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyomo.core as pyo

from ecoserve_opt.checks import Finding, run_checks
from ecoserve_opt.data import build_data
from ecoserve_opt.formulation import build_model
from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.solve import SolveOptions, Solver


@dataclass
class Diagnosis:
    """Findings of the checks, unmet demand from the slack solve, coefficient ranges."""

    findings: list[Finding]
    unmet: pd.DataFrame = field(default_factory=pd.DataFrame)
    ranges: dict[str, float] = field(default_factory=dict)
    families: pd.DataFrame = field(default_factory=pd.DataFrame)
    slack_status: str = "not run"

    @property
    def ok(self) -> bool:
        """No error finding and no unmet demand."""
        return not any(f.level == "error" for f in self.findings) and self.unmet.empty

    def text(self) -> str:
        """Readable report."""
        lines = ["Diagnosis:"]
        if not self.findings:
            lines.append("  pre-solve checks: nothing found")
        lines += [f"  {f}" for f in self.findings]
        if self.slack_status != "not run":
            lines.append(f"  slack solve: {self.slack_status}")
        if not self.unmet.empty:
            lines.append("  unmet demand (slack mode):")
            for _, r in self.unmet.iterrows():
                lines.append(
                    f"    {r['llm']} {r['class']} year {r['year']} slot {r['slot']}: "
                    f"{r['unmet']:,.4g} {r['unit']} unmet ({r['share']:.0%} of demand)"
                )
        elif self.slack_status.startswith("optimal"):
            lines.append("  all demand can be served")
        if self.ranges:
            lines.append(
                "  coefficient range: |a| in [{min:.2e}, {max:.2e}] (ratio {ratio:.1e})".format(
                    **self.ranges
                )
            )
            if self.ranges["ratio"] > 1e9:
                lines.append("  warning: coefficient ratio above 1e9 can hurt HiGHS's numerics")
        if not self.families.empty:
            lines.append("  coefficient ranges per family (as sent to HiGHS, after scaling):")
            for _, r in self.families.iterrows():
                flag = "" if r["ok"] else f"  <- outside [{COEF_LO:g}, {COEF_HI:g}]"
                lines.append(
                    f"    {r['kind']:<10} {r['family']:<24} |a| in "
                    f"[{r['min']:.2e}, {r['max']:.2e}]{flag}"
                )
            for _, r in self.families[~self.families["ok"]].iterrows():
                lines.append(
                    f"  warning: {r['kind']} {r['family']} has coefficients outside "
                    f"[{COEF_LO:g}, {COEF_HI:g}]: HiGHS's absolute tolerances (1e-7 dual, "
                    "1e-6 primal) can then accept wrong answers"
                )
        return "\n".join(lines)


COEF_LO, COEF_HI = 1e-6, 1e6  # coefficients outside this range are reported as warnings


def family_ranges(m: pyo.ConcreteModel) -> pd.DataFrame:
    """Smallest and largest absolute linear coefficient per constraint family (component)
    and per objective, active or not (caps and objectives are switched on by sweeps), as
    HiGHS receives them. Columns: kind, family, min, max, ok (inside [1e-6, 1e6])."""
    from pyomo.repn import generate_standard_repn

    rows: list[dict[str, Any]] = []

    def row(kind: str, name: str, exprs: Any) -> None:
        lo, hi = float("inf"), 0.0
        for e in exprs:
            for c in generate_standard_repn(e, compute_values=True, quadratic=False).linear_coefs:
                a = abs(float(c))
                if a > 0:
                    lo, hi = min(lo, a), max(hi, a)
        if hi > 0:
            ok = lo >= COEF_LO and hi <= COEF_HI
            rows.append({"kind": kind, "family": name, "min": lo, "max": hi, "ok": ok})

    for comp in m.component_objects(pyo.Constraint):
        row("constraint", comp.local_name, (c.body for c in comp.values()))
    for obj in m.component_objects(pyo.Objective):
        row("objective", obj.local_name, (o.expr for o in obj.values()))
    return pd.DataFrame(rows, columns=["kind", "family", "min", "max", "ok"])


def coefficient_ranges(m: pyo.ConcreteModel) -> dict[str, float]:
    """Smallest and largest absolute linear coefficient over active constraints."""
    from pyomo.repn import generate_standard_repn

    lo, hi = float("inf"), 0.0
    for con in m.component_data_objects(pyo.Constraint, active=True):
        repn = generate_standard_repn(con.body, compute_values=True, quadratic=False)
        for c in repn.linear_coefs:
            a = abs(float(c))
            if a > 0:
                lo, hi = min(lo, a), max(hi, a)
    if hi == 0:
        return {}
    return {"min": lo, "max": hi, "ratio": hi / lo}


def diagnose(loaded: LoadedScenario, slack: bool = True, ranges: bool = True) -> Diagnosis:
    """Run the checks, report coefficient ranges per family (``ranges``), then (if
    ``slack``) a slack-mode solve to locate unmet demand."""
    d = build_data(loaded)
    findings = run_checks(d, strict=False)
    diag = Diagnosis(findings=findings)
    if ranges:
        plain = build_model(d)
        diag.ranges = coefficient_ranges(plain)
        diag.families = family_ranges(plain)
    if not slack:
        return diag
    m = build_model(d, slack=True)
    s = loaded.scenario.solver
    out = Solver(
        SolveOptions(
            mip_rel_gap=max(s.mip_rel_gap, 1e-3), time_limit=s.time_limit_s, threads=s.threads
        )
    ).solve(m)
    diag.slack_status = out.status.value
    if not out.status.has_solution:
        return diag
    rows: list[dict[str, Any]] = []
    for (llm, y, sl), var in m.unmet_online.items():
        v = pyo.value(var)
        dem = d.online_demand[(llm, y, sl)]
        if v > 1e-6 * max(dem, 1):
            rows.append(
                {
                    "llm": llm,
                    "class": "online",
                    "year": y,
                    "slot": sl,
                    "unmet": v,
                    "unit": "tokens/s",
                    "share": v / dem if dem else 1.0,
                }
            )
    for (llm, y), var in m.unmet_offline.items():
        v = pyo.value(var) * 86400.0  # the variable is a daily-mean rate
        dem = d.offline_demand[(llm, y)]
        if v > 1e-6 * max(dem, 1):
            rows.append(
                {
                    "llm": llm,
                    "class": "offline",
                    "year": y,
                    "slot": "all",
                    "unmet": v,
                    "unit": "tokens/day",
                    "share": v / dem if dem else 1.0,
                }
            )
    diag.unmet = pd.DataFrame(rows)
    return diag


def diagnose_infeasible(loaded: LoadedScenario) -> Diagnosis:
    """Diagnosis of a scenario whose solve came back infeasible."""
    return diagnose(loaded, slack=True, ranges=True)

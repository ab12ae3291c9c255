"""Pre-solve consistency checks (PyPSA ``consistency.py`` style).

Each check is a named function ``check_<what>(data) -> list[Finding]``. :func:`run_checks`
runs them all; with ``strict=True`` (the default before a solve) any ``error`` finding
raises :class:`~ecoserve_opt.exceptions.InfeasibleError` naming the culprit, so an
impossible scenario is explained before the solver is ever called.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.exceptions import InfeasibleError, ScenarioError

#: Largest fleet a demand may need (GPUs, or CPU sockets for offline work), even at its most
#: productive configuration. Far beyond any real fleet (the largest clusters hold ~1e5-1e6
#: GPUs); above it replica counts approach the solver's infinity (1e20) and its integrality
#: and feasibility tolerances stop being meaningful, so such a demand is rejected as
#: out-of-range input (exit code 2) instead of being solved into a meaningless answer.
MAX_FLEET_UNITS = 1e8


@dataclass(frozen=True)
class Finding:
    """One check result."""

    level: str  # "error" | "warning" | "info"
    check: str
    where: str  # field path or model element
    message: str

    def __str__(self) -> str:
        return f"{self.level}: [{self.check}] {self.where}: {self.message}"


def check_servable(d: ModelData) -> list[Finding]:
    """Every demand has at least one configuration able to serve it."""
    out: list[Finding] = []
    s = d.scenario
    for llm, spec in s.llms.items():
        weights = d.llm_weights_gb[llm]
        fits = [
            g for g, gt in d.gpus.items() if weights / max(s.hardware.tp_degrees) <= gt.memory_gb
        ]
        if spec.online is not None:
            pts = [p for p in d.points if p[0] == llm and p[4] == "online"]
            # split_phases: a prefill pool and a decode pool may serve what no co-located
            # replica can (one GPU type meets the TTFT SLO, another the TPOT SLO)
            phases = {q.phase for q in d.phase_points if q.llm == llm}
            if not pts and phases != {"prefill", "decode"}:
                if not fits:
                    why = (
                        f"the model ({weights:.0f} GB of weights) fits no candidate GPU's "
                        f"memory even at TP {max(s.hardware.tp_degrees)}"
                    )
                else:
                    why = _slo_reason(d, llm)
                out.append(
                    Finding(
                        "error",
                        "servable",
                        f"llms.{llm}.online",
                        f"no GPU configuration can serve this demand: {why}",
                    )
                )
        if spec.offline is not None:
            gpu_pts = [p for p in d.points if p[0] == llm and p[4] == "offline"]
            cpu_pts = [p for p in d.cpu_points if p[0] == llm]
            if not gpu_pts and not cpu_pts:
                out.append(
                    Finding(
                        "error",
                        "servable",
                        f"llms.{llm}.offline",
                        f"no GPU or CPU configuration can serve this demand (the model's "
                        f"{weights:.0f} GB of weights fit no candidate GPU at TP "
                        f"{max(s.hardware.tp_degrees)}, and no host CPU profile exists)",
                    )
                )
    return out


def _slo_reason(d: ModelData, llm: str) -> str:
    from ecoserve_opt.catalog import load_catalog
    from ecoserve_opt.data import _operating_points

    s = d.scenario
    spec = s.llms[llm].online
    assert spec is not None
    relaxed = s.model_copy(
        update={
            "llms": {
                llm: s.llms[llm].model_copy(
                    update={"online": spec.model_copy(update={"ttft_slo": 1e9, "tpot_slo": 1e9})}
                )
            }
        }
    )
    try:
        pts, info = _operating_points(relaxed, load_catalog(d.catalog_path), d.gpus, "")
    except Exception:  # pragma: no cover - diagnostic best effort
        return "no profile rows for this model on the candidate GPUs"
    pts = [p for p in pts if p[4] == "online"]
    if not pts:
        return "the catalog has no serving profile for this model on the candidate GPUs/TP degrees"
    best_ttft = min(info[p]["ttft"] for p in pts)
    best_tpot = min(info[p]["tpot"] for p in pts)
    parts = []
    if best_ttft > spec.ttft_slo:
        parts.append(f"best TTFT {best_ttft * 1e3:.0f} ms > SLO {spec.ttft_slo * 1e3:.0f} ms")
    if best_tpot > spec.tpot_slo:
        parts.append(f"best TPOT {best_tpot * 1e3:.1f} ms > SLO {spec.tpot_slo * 1e3:.1f} ms")
    if not parts:
        parts.append("no single configuration meets both the TTFT and the TPOT SLO")
    return "; ".join(parts)


def _demand_field(d: ModelData, llm: str, cls: str) -> tuple[str, float, str]:
    """(field path, value as given, unit) of the scenario field that sets a demand."""
    spec = d.scenario.llms[llm]
    if cls == "offline":
        assert spec.offline is not None
        return f"llms.{llm}.offline.tokens_per_day", spec.offline.tokens_per_day, "tokens/day"
    on = spec.online
    assert on is not None
    if on.tokens_per_s is not None:
        return f"llms.{llm}.online.tokens_per_s", on.tokens_per_s, "tokens/s"
    if on.requests_per_s is not None:
        return f"llms.{llm}.online.requests_per_s", on.requests_per_s, "requests/s"
    return f"llms.{llm}.online.rate_scale", on.rate_scale, "x the trace rate"


def check_demand_range(d: ModelData) -> list[Finding]:
    """Every demand is finite and needs at most :data:`MAX_FLEET_UNITS` GPUs (or CPU sockets)
    at its most productive configuration; otherwise the input is out of range.

    The need is the peak rate (online: the peak slot of any year, growth included; offline:
    the daily volume spread over its window hours) divided by the best output tokens/s per
    GPU (replica capacity / TP) or per CPU socket.
    """
    out: list[Finding] = []
    for llm, spec in d.scenario.llms.items():
        for cls in ("online", "offline"):
            if getattr(spec, cls) is None:
                continue
            if cls == "online":
                on = d.online_demand.items()
                peak = max((v for (l_, _y, _s), v in on if l_ == llm), default=0.0)
                per_unit = [d.cap[p] / p[2] for p in d.points if p[0] == llm and p[4] == "online"]
            else:
                hours = sum(v for (l_, _s), v in d.offline_slot_hours.items() if l_ == llm)
                daily = max((v for (l_, _y), v in d.offline_demand.items() if l_ == llm), default=0)
                peak = daily / (3600.0 * hours) if hours > 0 else daily
                per_unit = [d.cap[p] / p[2] for p in d.points if p[0] == llm and p[4] == "offline"]
                per_unit += [v for k, v in d.cpu_cap.items() if k[0] == llm]
            fld, given, unit = _demand_field(d, llm, cls)
            if not np.isfinite(peak) or not np.isfinite(given):
                out.append(Finding("error", "input_range", fld, f"{given} {unit} is not finite"))
                continue
            if not per_unit or peak <= 0:
                continue  # nothing can serve it (check_servable) or nothing to serve
            need = peak / max(per_unit)
            if need > MAX_FLEET_UNITS:
                out.append(
                    Finding(
                        "error",
                        "input_range",
                        fld,
                        f"{given:.3g} {unit} is out of range: it needs about {need:.1e} GPUs "
                        f"(or CPU sockets) even at the most productive configuration "
                        f"({max(per_unit):.3g} tokens/s each); at most "
                        f"{MAX_FLEET_UNITS:.0e} are supported",
                    )
                )
    return out


def check_hosts(d: ModelData) -> list[Finding]:
    """Every candidate GPU can be mounted in some host; hosts can be bought in year 1."""
    out: list[Finding] = []
    mountable = {g for _h, g in d.host_gpu if g != NO_GPU}
    for g in d.gpus:
        if g not in mountable:
            out.append(
                Finding(
                    "warning",
                    "hosts",
                    f"hardware.gpus.{g}",
                    f"no candidate host takes {d.gpus[g].form_factor} GPUs of the "
                    f"'{d.gpus[g].architecture or 'unspecified'}' generation; "
                    f"'{g}' can never be used",
                )
            )
    needs_gpu = any(p for p in d.points)
    if needs_gpu and not mountable:
        out.append(
            Finding(
                "error",
                "hosts",
                "hardware.hosts",
                "no candidate host can carry any candidate GPU (form factors or GPU "
                "generations differ)",
            )
        )
    for y in d.years:
        new_hosts = [c for c in d.host_cohorts if c[1] <= y]
        owned = [h for h, ys in d.owned_host_years.items() if y in ys]
        if not new_hosts and not owned:
            out.append(
                Finding(
                    "error",
                    "inventory",
                    f"year {y}",
                    "no host can be bought yet (available_from) and none is owned",
                )
            )
        new_gpus = [c for c in d.gpu_cohorts if c[1] <= y]
        owned_g = [o for o, ys in d.owned_gpu_years.items() if y in ys]
        if needs_gpu and not new_gpus and not owned_g and not d.cpu_points:
            out.append(
                Finding(
                    "error",
                    "inventory",
                    f"year {y}",
                    "no GPU can be bought yet (available_from) and none is owned",
                )
            )
    return out


def check_ranges(d: ModelData) -> list[Finding]:
    """Coefficient ranges that will hurt the solver's numerics."""
    out: list[Finding] = []
    caps = np.array(list(d.cap.values()) + list(d.cpu_cap.values()) or [1.0])
    dem = np.array([v for v in d.online_demand.values() if v > 0] or [1.0])
    ratio = float(dem.max() / caps.min())
    if ratio > 1e7:
        out.append(
            Finding(
                "warning",
                "ranges",
                "llms",
                f"demand/capacity ratio {ratio:.1e}: replica counts in the millions; "
                "consider coarser units or fewer slots",
            )
        )
    for (llm, y), tokens in d.offline_demand.items():
        rate = tokens / 86400.0
        if 0 < rate / float(caps.max()) < 1e-5:
            out.append(
                Finding(
                    "warning",
                    "ranges",
                    f"llms.{llm}.offline",
                    f"year {y}: {tokens:.3g} tokens/day is below 1e-5 of one "
                    "replica's capacity, under the solver's tolerances; results for "
                    "it are unreliable",
                )
            )
    for (llm, y, s), rate in d.online_demand.items():
        if 0 < rate / float(caps.max()) < 1e-5:
            out.append(
                Finding(
                    "warning",
                    "ranges",
                    f"llms.{llm}.online",
                    f"year {y} slot {s}: {rate:.3g} tokens/s is below 1e-5 of one "
                    "replica's capacity, under the solver's tolerances",
                )
            )
    span = float(caps.max() / caps.min())
    if span > 1e6:
        out.append(
            Finding(
                "warning",
                "ranges",
                "profiles",
                f"replica capacities span {span:.1e}x; numerics may suffer",
            )
        )
    return out


CHECKS = (check_demand_range, check_servable, check_hosts, check_ranges)


def run_checks(d: ModelData, strict: bool = True) -> list[Finding]:
    """Run every check. When ``strict``, an out-of-range input raises
    :class:`~ecoserve_opt.exceptions.ScenarioError` (file, field path, reason; CLI exit 2)
    and any other error :class:`~ecoserve_opt.exceptions.InfeasibleError` (CLI exit 3)."""
    findings = [f for chk in CHECKS for f in chk(d)]
    errors = [f for f in findings if f.level == "error"]
    bad_input = [f for f in errors if f.check == "input_range"]
    if strict and bad_input:
        raise ScenarioError(d.scenario_file, bad_input[0].where, bad_input[0].message)
    if strict and errors:
        msg = f"{d.scenario.name}: {errors[0].where}: {errors[0].message}"
        if len(errors) > 1:
            msg += f" (and {len(errors) - 1} more problem(s); run 'ecoserve diagnose')"
        raise InfeasibleError(msg, diagnosis=findings)
    return findings

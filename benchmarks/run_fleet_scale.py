"""Fleet-scale benchmark (issue 20): time-to-gap curves of the realistic fleet and the paper case.

Solves ``benchmarks/scenarios/fleet20.yaml`` (20 services, every GPU and host of the
bundled catalog, an owned base, 3 years, 24 slots, all pillars, 1% gap) and
``scenarios/ecoserve_paper.yaml``, each in a fresh process, and records HiGHS's progress:
the incumbent objective, the dual bound and the gap against time, read from the HiGHS log
(the solver's log is streamed to the ``ecoserve_opt.highs`` logger with ``tee``; HiGHS
prints a row at every new incumbent and periodically). Objectives are in kgCO2e (HiGHS
sees them scaled; :func:`ecoserve_opt.formulation.objectives.objective_scale`).

Outputs (in ``--out``, default ``benchmarks/results``):

* ``fleet_scale.csv``: curve points, one row per HiGHS log row: label, case, repeat,
  ``t_highs_s`` (HiGHS's clock), ``t_wall_s`` (from the start of the data build: data +
  build + hand-off + HiGHS), incumbent, bound, gap;
* ``fleet_scale_runs.csv``: one row per solve: model size, stage times, CPU seconds of the
  process (``cpu_s``) and of the solve (``highs_cpu_s``: hand-off + HiGHS, all threads;
  less sensitive to other jobs than wall time), time to the first
  incumbent and to 5%, 2% and 1% gap (HiGHS clock), final status/objective/gap, load
  average before and after, the HiGHS options used;
* ``fleet_scale.md``: the runs table, regenerated from ``fleet_scale_runs.csv``.

Rows of an earlier run with the same ``--label`` and case are replaced, so each lever
(``--label tight``, ``--label start`` ...) keeps one set of curves next to the others.

Usage::

    python benchmarks/run_fleet_scale.py --label baseline                 # fleet20 + paper
    python benchmarks/run_fleet_scale.py --cases fleet20 --time-limit 120 --repeat 2
    python benchmarks/run_fleet_scale.py --label presolve-off --highs presolve=off
    python benchmarks/run_fleet_scale.py --label slots8 --cases fleet20 --slots 8
    python benchmarks/run_fleet_scale.py --label no-start --cases paper --mip-start none
    python benchmarks/run_fleet_scale.py --label nocb --mip-start heuristic --cutoff-bounds off
    python benchmarks/run_fleet_scale.py --label cuts --cases paper --set solver.cuts=true
    python benchmarks/run_fleet_scale.py --label prune-off --prune off   # every operating point
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Benchmark cases: name -> (scenario file, named override or None).
CASES: dict[str, tuple[Path, str | None]] = {
    "fleet20": (HERE / "scenarios" / "fleet20.yaml", None),
    "fleet20-issue-hw": (HERE / "scenarios" / "fleet20.yaml", "issue_hardware"),
    "paper": (ROOT / "scenarios" / "ecoserve_paper.yaml", None),
}
GAPS = (0.05, 0.02, 0.01)


def resolve_case(case: str) -> tuple[Path, str | None]:
    """``(scenario file, override)`` of a named case or of ``path.yaml[:override]``."""
    if case in CASES:
        return CASES[case]
    file, _, override = case.partition(":")
    path = Path(file)
    if not path.is_file():
        raise SystemExit(f"unknown case {case!r}: not one of {list(CASES)} nor a scenario file")
    return path.resolve(), override or None


def prepare_case(case: str) -> tuple[Path, str | None]:
    """:func:`resolve_case`, with the catalog of a scenario whose LLMs are
    ``<llm>@<service>`` copies (``benchmarks.fleet_catalog``) written next to it first."""
    from benchmarks.fleet_catalog import services, write_catalog

    path, override = resolve_case(case)
    if services(path):
        write_catalog(path)
    return path, override


CURVE_COLUMNS = [
    "label",
    "case",
    "repeat",
    "t_highs_s",
    "t_wall_s",
    "incumbent_kg",
    "bound_kg",
    "gap",
    "source",
]
RUN_COLUMNS = [
    "label",
    "case",
    "repeat",
    "slots",
    "n_vars",
    "n_int",
    "n_cons",
    "data_s",
    "build_s",
    "handoff_s",
    "highs_s",
    "wall_s",
    "start_s",
    "cpu_s",
    "highs_cpu_s",
    "first_incumbent_s",
    "gap5_s",
    "gap2_s",
    "gap1_s",
    "status",
    "objective_kg",
    "bound_kg",
    "final_gap",
    "time_limit_s",
    "threads",
    "highs_options",
    "mip_start",
    "start_kg",
    "load_before",
    "load_after",
]
TABLE_COLUMNS = [
    "label",
    "case",
    "repeat",
    "slots",
    "n_vars",
    "n_int",
    "start_s",
    "first_incumbent_s",
    "gap5_s",
    "gap2_s",
    "gap1_s",
    "highs_s",
    "wall_s",
    "highs_cpu_s",
    "final_gap",
    "objective_kg",
    "status",
    "load_before",
    "load_after",
]


# ---- HiGHS log parsing -------------------------------------------------------------------
_ROW = re.compile(r"^\s*(?P<src>[A-Za-z])?\s+(?P<rest>\d+\s+\d+\s+\d+\s+[\d.]+%\s+.*\s[\d.]+s)\s*$")


def _num(tok: str) -> float | None:
    try:
        v = float(tok)
    except ValueError:
        return None
    return v if v == v and abs(v) != float("inf") else None


def parse_mip_row(line: str) -> dict[str, Any] | None:
    """One row of HiGHS's branch-and-bound log as ``{t, bound, incumbent, source}``
    (objective values as HiGHS sees them), or None for any other line.

    >>> parse_mip_row(" R       0       0         0   0.00%   7220.66   7400.1   2.43%"
    ...               "        0      0      0     25496    40.0s")["incumbent"]
    7400.1
    """
    m = _ROW.match(line)
    if m is None:
        return None
    tok = m["rest"].split()
    if len(tok) < 12:
        return None
    return {
        "t": float(tok[-1][:-1]),
        "bound": _num(tok[4]),
        "incumbent": _num(tok[5]),
        "source": m["src"] or "",
    }


@dataclass
class LogCapture(logging.Handler):
    """Collects HiGHS log rows (``ecoserve_opt.highs``) with their arrival time."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    first_line_at: float | None = None
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self)

    def __hash__(self) -> int:
        return id(self)

    def emit(self, record: logging.LogRecord) -> None:
        now = time.perf_counter()
        for line in record.getMessage().splitlines():
            if self.first_line_at is None:
                self.first_line_at = now
            self.lines.append(line)
            row = parse_mip_row(line)
            if row is not None:
                self.rows.append(row)


def _cpu_s() -> float:
    """CPU seconds (user + system, all threads) of this process so far."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f else None


def time_to_gap(points: list[dict[str, Any]], gap: float) -> float | None:
    """HiGHS time of the first curve point at or below ``gap`` (None if never)."""
    for p in points:
        if p["gap"] is not None and p["gap"] <= gap + 1e-12:
            return float(p["t_highs_s"])
    return None


# ---- one solve (runs in its own process) -------------------------------------------------
def solve_one(
    case: str,
    time_limit: float | None,
    gap: float | None,
    threads: int | None,
    highs: dict[str, Any],
    slots: int | None,
    mip_start: str | None = None,
    cutoff_bounds: bool | None = None,
    settings: dict[str, Any] | None = None,
    prune: str | None = None,
) -> dict[str, Any]:
    """Build and solve one case; returns the run record with its curve points.

    ``settings``: scenario overrides by dot-path (``--set solver.cuts=false``)."""
    import pyomo.environ as pyo

    import ecoserve_opt as eo
    from ecoserve_opt.formulation.objectives import objective_scale

    path, override = prepare_case(case)
    cap = LogCapture()
    lg = logging.getLogger("ecoserve_opt.highs")
    lg.addHandler(cap)
    lg.setLevel(logging.INFO)
    lg.propagate = False
    overrides: dict[str, Any] = dict(settings or {})
    if slots is not None:
        overrides["time_slots"] = slots
    if prune is not None:
        overrides["solver.prune"] = prune != "off"
        overrides["solver.prune_latency"] = prune == "no-latency"
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    loaded = eo.load_scenario(path, scenario=override, overrides=overrides or None)
    opts: dict[str, Any] = {"tee": True, "time_limit": time_limit, "mip_rel_gap": gap}
    opts["threads"] = threads
    if highs:  # on top of the scenario's own solver.highs_options
        opts["highs_options"] = {**loaded.scenario.solver.highs_options, **highs}
    opts["mip_start"] = mip_start
    opts["cutoff_bounds"] = cutoff_bounds
    built = eo.build(loaded, **opts)
    m = built.model
    n_vars = n_int = 0
    for v in m.component_data_objects(pyo.Var, active=True):
        n_vars += 1
        n_int += not v.is_continuous()
    n_cons = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
    t_build = time.perf_counter()
    cpu_build = _cpu_s()
    res = built.solve()
    t_end = time.perf_counter()
    cpu_end = _cpu_s()
    lam = objective_scale(m)
    meta = res.meta
    # HiGHS's clock starts at its first log line; everything before is data/build/hand-off
    offset = (cap.first_line_at or t_build) - t0
    points = []
    for r in cap.rows:
        inc = None if r["incumbent"] is None else r["incumbent"] / lam
        bnd = None if r["bound"] is None else r["bound"] / lam
        g = None if inc is None or bnd is None else abs(inc - bnd) / max(abs(inc), 1e-10)
        points.append(
            {
                "t_highs_s": r["t"],
                "t_wall_s": round(offset + r["t"], 2),
                "incumbent_kg": inc,
                "bound_kg": bnd,
                "gap": g,
                "source": r["source"],
            }
        )
    first = next((p["t_highs_s"] for p in points if p["incumbent_kg"] is not None), None)
    status = str(meta.get("status", ""))
    record = {
        "case": case,
        "slots": loaded.scenario.time_slots,
        "n_vars": n_vars,
        "n_int": n_int,
        "n_cons": n_cons,
        "data_s": round(built.timings["data_s"], 2),
        "build_s": round(built.timings["build_s"], 2),
        "handoff_s": round(offset - (t_build - t0), 2),
        "highs_s": round(t_end - (cap.first_line_at or t_build), 2),
        "wall_s": round(t_end - t0, 2),
        "cpu_s": round(cpu_end, 2),
        "highs_cpu_s": round(cpu_end - cpu_build, 2),
        "first_incumbent_s": first,
        **{f"gap{round(g * 100)}_s": time_to_gap(points, g) for g in GAPS},
        "status": status,
        "objective_kg": _float(res.metrics.get("objective")),
        "bound_kg": _float(res.metrics.get("bound")),
        "final_gap": _float(res.metrics.get("gap")),
        "time_limit_s": built.options.time_limit,
        "threads": built.options.threads,
        "highs_options": json.dumps(dict(getattr(built.options, "highs_options", {}) or {})),
        # the heuristic start runs before HiGHS's clock starts (it is in handoff_s): add
        # start_s to the HiGHS-clock times for the time from the end of the hand-off
        "mip_start": built.options.mip_start,
        "start_s": (meta.get("mip_start") or {}).get("seconds"),
        "start_kg": (meta.get("mip_start") or {}).get("objective"),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "points": points,
    }
    return record


# ---- driver -------------------------------------------------------------------------------
def parse_settings(items: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` items (HiGHS options, scenario overrides by dot-path) as a dict, each
    value an int, a float or a bool (``true``/``false``) where it reads as one."""
    out: dict[str, Any] = {}
    for it in items:
        key, sep, raw = it.partition("=")
        if not sep:
            raise SystemExit(f"{it!r}: expected NAME=VALUE")
        val: Any = raw
        for conv in (int, float):
            try:
                val = conv(raw)
                break
            except ValueError:
                continue
        if raw.lower() in ("true", "false"):
            val = raw.lower() == "true"
        out[key.strip()] = val
    return out


def machine() -> str:
    """One line naming the machine: CPU model, cores, Python, HiGHS."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    ver = version("highspy")
    return f"{cpu}, {os.cpu_count()} logical cores, Python {platform.python_version()}, HiGHS {ver}"


def _merge(
    path: Path, new: list[dict[str, Any]], columns: list[str], keys: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    import pandas as pd

    old: list[dict[str, Any]] = []
    if path.exists():
        df = pd.read_csv(path, keep_default_na=False)
        old = [r for r in df.to_dict("records") if (str(r["label"]), str(r["case"])) not in keys]
    rows = old + new
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return rows


def write_outputs(out: Path, records: list[dict[str, Any]], label: str) -> None:
    """Merge ``records`` into the CSVs (replacing this label's rows for these cases) and
    rewrite the markdown table."""
    import pandas as pd

    try:
        from benchmarks import _measure as ms
    except ImportError:  # pragma: no cover
        import _measure as ms  # type: ignore[no-redef]

    out.mkdir(parents=True, exist_ok=True)
    keys = {(label, r["case"]) for r in records}
    curve = [
        {"label": label, "case": r["case"], "repeat": r["repeat"], **p}
        for r in records
        for p in r["points"]
    ]
    runs = [{"label": label, **{k: v for k, v in r.items() if k != "points"}} for r in records]
    _merge(out / "fleet_scale.csv", curve, CURVE_COLUMNS, keys)
    all_runs = _merge(out / "fleet_scale_runs.csv", runs, RUN_COLUMNS, keys)
    df = pd.DataFrame(all_runs, columns=RUN_COLUMNS).replace({"": float("nan")})
    lines = [
        "# Fleet-scale benchmark (issue 20)",
        "",
        "Written by `python benchmarks/run_fleet_scale.py` (docs/performance.md, "
        '"Fleet-scale benchmark"). Times in seconds on HiGHS\'s clock from its start '
        "(`wall_s`: data + build + hand-off + HiGHS); `-`: not reached within the time "
        "limit. `load_*`: 1-minute load average before/after the run.",
        "",
        f"Machine: {machine()}.",
        "",
        ms.markdown_table(df.to_dict("records"), TABLE_COLUMNS),
        "",
    ]
    (out / "fleet_scale.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    """Command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="baseline", help="name of this run's rows/curves")
    ap.add_argument(
        "--cases",
        default="fleet20,paper",
        help=f"comma list of {list(CASES)} or scenario.yaml[:override]",
    )
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds per solve")
    ap.add_argument("--gap", type=float, default=None, help="mip_rel_gap (default: scenario's)")
    ap.add_argument("--threads", type=int, default=None, help="HiGHS threads (default: scenario's)")
    ap.add_argument(
        "--highs",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra HiGHS option (repeatable; on top of the scenario's), e.g. presolve=off",
    )
    ap.add_argument("--slots", type=int, default=None, help="override time_slots")
    ap.add_argument(
        "--mip-start",
        choices=("heuristic", "none"),
        default=None,
        help="solver.mip_start (default: scenario's)",
    )
    ap.add_argument(
        "--cutoff-bounds",
        choices=("on", "off"),
        default=None,
        help="solver.cutoff_bounds (default: scenario's; acts with a heuristic start)",
    )
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override by dot-path (repeatable), e.g. solver.cuts=false",
    )
    ap.add_argument(
        "--prune",
        choices=("on", "off", "no-latency"),
        default=None,
        help="solver.prune: dominated operating points left out (default: scenario's, on); "
        "no-latency: also solver.prune_latency",
    )
    ap.add_argument("--repeat", type=int, default=1, help="solves per case")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: child process
    a = ap.parse_args(argv)
    highs = parse_settings(a.highs)
    settings = parse_settings(a.set)
    if a.one is not None:
        cb = None if a.cutoff_bounds is None else a.cutoff_bounds == "on"
        rec = solve_one(
            a.one,
            a.time_limit,
            a.gap,
            a.threads,
            highs,
            a.slots,
            a.mip_start,
            cb,
            settings,
            a.prune,
        )
        sys.stdout.write("\n@@RECORD@@" + json.dumps(rec, default=str) + "\n")
        return
    cases = [c.strip() for c in a.cases.split(",") if c.strip()]
    for c in cases:
        resolve_case(c)
    records: list[dict[str, Any]] = []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    for case in cases:
        for rep in range(a.repeat):
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--one",
                case,
                "--time-limit",
                str(a.time_limit),
            ]
            if a.gap is not None:
                cmd += ["--gap", str(a.gap)]
            if a.threads is not None:
                cmd += ["--threads", str(a.threads)]
            if a.slots is not None:
                cmd += ["--slots", str(a.slots)]
            if a.mip_start is not None:
                cmd += ["--mip-start", a.mip_start]
            if a.cutoff_bounds is not None:
                cmd += ["--cutoff-bounds", a.cutoff_bounds]
            if a.prune is not None:
                cmd += ["--prune", a.prune]
            for h in a.highs:
                cmd += ["--highs", h]
            for kv in a.set:
                cmd += ["--set", kv]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            if proc.returncode != 0 or "@@RECORD@@" not in proc.stdout:
                sys.stderr.write(proc.stderr[-4000:])
                raise SystemExit(f"{case}: solve process failed (exit {proc.returncode})")
            rec = json.loads(proc.stdout.rsplit("@@RECORD@@", 1)[1])
            rec["repeat"] = rep
            records.append(rec)
            print(  # noqa: T201
                f"{a.label} {case} #{rep}: {rec['status']} gap {rec['final_gap']} "
                f"first incumbent {rec['first_incumbent_s']} s, 1% {rec['gap1_s']} s, "
                f"HiGHS {rec['highs_s']} s, wall {rec['wall_s']} s, "
                f"load {rec['load_before']}->{rec['load_after']}",
                flush=True,
            )
    write_outputs(a.out, records, a.label)


if __name__ == "__main__":
    main()

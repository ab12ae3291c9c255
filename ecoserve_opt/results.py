"""Results: pandas tables extracted from a solved model, exports, and re-reading.

The carbon breakdown is recomputed here from the solution values and the data (not read from
the model's expressions), so tests can check it against the objective: an independent check
that the formulation charges what it should.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.atomic import atomic_write_bytes, atomic_write_text
from ecoserve_opt.io.outputs import check_output_dir, new_sibling_dir, replace_dir
from ecoserve_opt.solve import SolveOutcome, Status

COMPONENTS = ("GPU", "CPU", "DRAM", "SSD", "other")
TABLES = ("fleet", "deployment", "replicas", "breakdown", "power", "utilisation", "offline")


def _v(x: Any) -> float:
    val = pyo.value(x, exception=False)
    return 0.0 if val is None else float(val)


#: Meta key and file of the resolved scenario (the validated scenario as solved).
RESOLVED_KEY = "resolved_scenario"
RESOLVED_FILE = "scenario.resolved.yaml"
RESOLVED_HEADER = (
    "# The scenario as solved: includes merged, overrides applied, defaults filled in.\n"
    "# Quantities are in canonical units (kW, kWh, h, kgCO2e, USD, tokens/s). For the record:\n"
    "# edit and solve the original scenario file, not this one.\n"
)


@dataclass(frozen=True)
class Results:
    """A solved (or failed) scenario: status, metrics and tidy tables."""

    name: str
    objective: str
    status: Status
    metrics: pd.Series
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, item: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if item in tables:
            return tables[item]
        raise AttributeError(item)

    @property
    def optimal(self) -> bool:
        """True only for a proven optimum (within the requested gap)."""
        return self.status == Status.OPTIMAL

    @property
    def carbon(self) -> float:
        """Total carbon over the horizon (kgCO2e)."""
        return float(self.metrics["carbon_kg"])

    def summary(self) -> str:
        """A plain-text summary (status, metrics, fleet)."""
        lines = [f"scenario {self.name!r}  objective={self.objective}  status={self.status.value}"]
        m = self.metrics
        if self.status.has_solution:
            if self.status == Status.FEASIBLE:
                lines.append(
                    f"  NOT OPTIMAL: stopped by a limit, gap {m.get('gap', float('nan')):.2%},"
                    f" bound {m.get('bound', float('nan')):.6g}"
                )
            lines.append(
                f"  carbon {m['carbon_kg']:,.0f} kgCO2e (operational {m['operational_kg']:,.0f},"
                f" embodied {m['embodied_kg']:,.0f}); energy {m['energy_kwh']:,.0f} kWh;"
                f" cost {m['cost_usd']:,.0f} USD"
            )
        return "\n".join(lines)

    def to_dir(self, path: str | Path, fmt: str = "csv") -> Path:
        """Write every table (CSV or Parquet), ``metrics.csv``, ``meta.json`` and the resolved
        scenario (``scenario.resolved.yaml``: includes and overrides applied) as one unit.

        The files are written into a new folder next to ``path`` and swapped in place of the
        previous results only when all are written (:func:`~ecoserve_opt.io.outputs.replace_dir`):
        a crash or a full disk leaves the previous results as they were, never a mix.
        ``meta.json`` records a SHA-256 of every file it describes, so :meth:`from_dir`
        refuses tables that do not belong to it. ``path`` must be new, empty or a previous
        results folder (:func:`check_results_dir`).
        """
        out = check_results_dir(path)
        tmp = new_sibling_dir(out)
        try:
            self._write_files(tmp, fmt)
            replace_dir(tmp, out)
        except OSError as exc:
            raise EcoserveError(
                f"{out}: cannot write results ({exc.strerror or type(exc).__name__}); "
                "previous results left as they were"
            ) from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return out

    def _write_files(self, out: Path, fmt: str) -> None:
        files: dict[str, bytes] = {}
        for name, df in self.tables.items():
            if fmt == "parquet":
                import io

                buf = io.BytesIO()
                df.to_parquet(buf, index=False)
                files[f"{name}.parquet"] = buf.getvalue()
            else:
                files[f"{name}.csv"] = df.to_csv(index=False).encode("utf-8")
        files["metrics.csv"] = self.metrics.to_frame("value").to_csv().encode("utf-8")
        meta = dict(self.meta)
        resolved = meta.pop(RESOLVED_KEY, None)
        if resolved is not None:  # the scenario as solved (includes, overrides applied)
            import yaml

            text = yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)
            files[RESOLVED_FILE] = (RESOLVED_HEADER + text).encode("utf-8")
        for fname, data in files.items():
            atomic_write_bytes(out / fname, data)
        meta = {
            **meta,
            "name": self.name,
            "objective": self.objective,
            "status": self.status.value,
            "tables": sorted(self.tables),
            "format": fmt,
            "files_sha256": {f: hashlib.sha256(b).hexdigest() for f, b in sorted(files.items())},
        }
        atomic_write_text(out / "meta.json", json.dumps(meta, indent=2, default=str))

    @classmethod
    def from_dir(cls, path: str | Path) -> Results:
        """Read results written by :meth:`to_dir`; EcoserveError when the folder's files and
        its ``meta.json`` disagree (a table from another solve, missing or altered)."""
        p = Path(path)
        meta = json.loads((p / "meta.json").read_text())
        if not isinstance(meta, dict):
            raise EcoserveError(f"{p}: meta.json is not a results description")
        verify_results_dir(p, meta)
        fmt = meta.get("format", "csv")
        tables = {}
        for name in meta.get("tables", []):
            f = p / f"{name}.{fmt}"
            tables[name] = pd.read_parquet(f) if fmt == "parquet" else pd.read_csv(f)
        metrics = pd.read_csv(p / "metrics.csv", index_col=0)["value"]
        if (p / RESOLVED_FILE).is_file():
            import yaml

            meta[RESOLVED_KEY] = yaml.safe_load((p / RESOLVED_FILE).read_text())
        return cls(
            name=meta["name"],
            objective=meta["objective"],
            status=Status(meta["status"]),
            metrics=metrics,
            tables=tables,
            meta=meta,
        )


#: Files a results folder may hold besides its tables (a report is rewritten from them).
RESULTS_FILES = ("meta.json", "metrics.csv", RESOLVED_FILE, "report.html")


def _owned_results_file(name: str) -> bool:
    stem, _, ext = name.rpartition(".")
    return name in RESULTS_FILES or (ext in ("csv", "parquet") and stem in TABLES)


def check_results_dir(path: str | Path, option: str = "--out") -> Path:
    """Check, before solving, that ``path`` can take a results folder (see
    :func:`~ecoserve_opt.io.outputs.check_output_dir`): new, empty or previous results."""
    return check_output_dir(path, option, owned=_owned_results_file)


def verify_results_dir(path: Path, meta: dict[str, Any]) -> None:
    """EcoserveError unless every file listed in ``meta["files_sha256"]`` is present and
    unchanged (folders written before this check existed carry no hashes: not checked)."""
    hashes = meta.get("files_sha256")
    if not isinstance(hashes, dict):
        return
    for fname, want in sorted(hashes.items()):
        f = path / str(fname)
        if not f.is_file():
            raise EcoserveError(
                f"{path}: {fname} is missing; this folder does not hold one complete solve "
                "(re-run the solve into it)"
            )
        if hashlib.sha256(f.read_bytes()).hexdigest() != want:
            raise EcoserveError(
                f"{path}: {fname} does not match meta.json (written by another solve or "
                "changed since); refusing to mix results: re-run the solve into this folder"
            )


def extract(
    m: pyo.ConcreteModel, d: ModelData, outcome: SolveOutcome, meta: dict[str, Any]
) -> Results:
    """Read the solution of ``m`` into a :class:`Results`."""
    obj = meta.get("objective", d.scenario.objective)
    base_metrics = {
        "objective": outcome.objective if outcome.objective is not None else math.nan,
        "bound": outcome.bound if outcome.bound is not None else math.nan,
        "gap": outcome.gap if outcome.gap is not None else math.nan,
        "wall_time_s": outcome.wall_time_s,
    }
    meta = {
        **meta,
        "status": outcome.status.value,
        "termination": outcome.termination,
        "solver": outcome.solver,
    }
    if not outcome.status.has_solution:
        return Results(d.scenario.name, obj, outcome.status, pd.Series(base_metrics), {}, meta)
    bad = non_finite_values(m)
    if bad:
        # HiGHS occasionally hands back NaN for some variables of a MIP solution
        meta["error"] = (
            f"solution rejected: the solver returned non-finite values ({', '.join(bad[:3])}"
            + (f"; and {len(bad) - 3} more" if len(bad) > 3 else "")
            + f"); the solver reported '{outcome.status.value}'"
        )
        meta["status"] = Status.ERROR.value
        return Results(d.scenario.name, obj, Status.ERROR, pd.Series(base_metrics), {}, meta)
    short = demand_shortfall(m, d)
    if short:
        # never report a "solution" that does not serve the demand (numerical trouble)
        meta["error"] = (
            f"solution rejected: demand not met ({short[0]}"
            + (f"; and {len(short) - 1} more" if len(short) > 1 else "")
            + f"); the solver reported '{outcome.status.value}'"
        )
        meta["status"] = Status.ERROR.value
        return Results(d.scenario.name, obj, Status.ERROR, pd.Series(base_metrics), {}, meta)

    w = d.slot_weight()
    pue = _v(m.pue)
    ci = {(y, s): _v(m.ci[y, s]) * _v(m.ci_scale) for y in d.years for s in d.slots}

    # ---- fleet --------------------------------------------------------------------------
    rows = []
    for c in m.GC:
        n = round(_v(m.buy_gpu[c]))
        if n:
            rows.append(
                {
                    "kind": "gpu",
                    "item": c[0],
                    "source": "new",
                    "year_bought": c[1],
                    "lifetime_years": c[2],
                    "count": n,
                }
            )
    owned_in_use = _owned_gpus_in_use(m, d)
    for o, y in m.OG:
        n = owned_in_use[(o, y)]
        if n:
            rows.append(
                {
                    "kind": "gpu",
                    "item": d.owned_gpus[o]["gpu"],
                    "source": "owned",
                    "year_bought": 0,
                    "lifetime_years": d.gpus[str(d.owned_gpus[o]["gpu"])].lifetime,
                    "count": n,
                    "year_used": y,
                }
            )
    for c in m.HC:
        n = round(_v(m.buy_host[c]))
        if n:
            rows.append(
                {
                    "kind": "host",
                    "item": c[0],
                    "source": "new",
                    "year_bought": c[1],
                    "lifetime_years": c[2],
                    "count": n,
                }
            )
    for h, y in m.OH:
        n = round(_v(m.use_owned_host[h, y]))
        if n:
            rows.append(
                {
                    "kind": "host",
                    "item": d.hosts[h].platform,
                    "source": "owned",
                    "year_bought": 0,
                    "lifetime_years": d.hosts[h].lifetime,
                    "count": n,
                    "year_used": y,
                }
            )
    fleet = pd.DataFrame(
        rows,
        columns=["kind", "item", "source", "year_bought", "lifetime_years", "count", "year_used"],
    )

    # ---- deployment and per-component power/embodied -----------------------------------
    dep_rows = []
    emb = {c: 0.0 for c in COMPONENTS}
    static_kw = {(y, c): 0.0 for y in d.years for c in COMPONENTS}
    share = d.scenario.inventory.embodied_residual_share
    for k in m.D:
        h, g, L, y = k
        z = round(_v(m.z[k]))
        if z == 0:
            continue
        it = d.hosts[h]
        sockets, dimms, ssds = _v(m.sockets[k]), _v(m.dimms[k]), _v(m.ssds[k])
        rd, rs = _v(m.reused_dram_of(*k)), _v(m.reused_ssd_of(*k))
        gon = _v(m.gpus_on[k])
        dep_rows.append(
            {
                "host": it.platform,
                "owned": it.owned,
                "gpu": g,
                "lifetime_years": L,
                "year": y,
                "hosts": z,
                "gpus": gon,
                "sockets": sockets,
                "cores": sockets * it.cores_per_socket,
                "dimms": dimms,
                "dram_gb": dimms * it.dimm_gb + rd,
                "reused_dram_gb": rd,
                "ssds": ssds,
                "ssd_tb": ssds * it.ssd_tb + rs,
                "reused_ssd_tb": rs,
            }
        )
        fac = (
            (it.embodied_scale / it.lifetime)
            if it.owned
            else (d.cohort_overhead[("host", h, L)] / L)
        )
        emb["other"] += fac * it.emb_base * z
        emb["CPU"] += fac * it.emb_cpu * sockets
        emb["DRAM"] += fac * it.emb_dram_gb * it.dimm_gb * dimms
        emb["SSD"] += fac * it.emb_ssd_tb * it.ssd_tb * ssds
        static_kw[(y, "other")] += it.base_kw * z
        static_kw[(y, "CPU")] += it.cpu_idle_kw * sockets
        static_kw[(y, "DRAM")] += it.dimm_kw * dimms + it.psu_factor * d.reused_dram_kw_per_gb * rd
        static_kw[(y, "SSD")] += it.ssd_kw * ssds + it.psu_factor * d.reused_ssd_kw_per_tb * rs
        if g != NO_GPU:
            static_kw[(y, "GPU")] += it.psu_factor * d.gpus[g].idle_kw * gon
    for c in m.GC:
        n_new = _v(m.buy_gpu[c])
        g, y0, L = c
        yrs = sum(1 for y in d.years if y0 <= y < y0 + L)
        emb["GPU"] += d.cohort_overhead[("gpu", g, L)] * d.gpus[g].embodied_kg / L * yrs * n_new
    for o, _y in m.OG:
        gt = d.gpus[str(d.owned_gpus[o]["gpu"])]
        emb["GPU"] += share * gt.embodied_kg / gt.lifetime * _v(m.use_owned_gpu[o, _y])
    deployment = pd.DataFrame(dep_rows)

    # ---- replicas, utilisation, dynamic power -------------------------------------------
    rep_rows = []
    for k in m.R:
        for y in d.years:
            n = round(_v(m.n_rep[(*k, y)]))
            if n:
                rep_rows.append(
                    {
                        "llm": k[0],
                        "gpu": k[1],
                        "tp": k[2],
                        "pool": k[3],
                        "year": y,
                        "replicas": n,
                        "gpus": n * k[2],
                    }
                )
    replicas = pd.DataFrame(
        rep_rows, columns=["llm", "gpu", "tp", "pool", "year", "replicas", "gpus"]
    )
    dyn = {(y, s, c): 0.0 for y in d.years for s in d.slots for c in ("GPU", "CPU")}
    util_rows = []
    busy: dict[tuple, float] = {}
    off_rows = []
    for k in m.XK:
        val = _v(m.x[k])
        if val <= 1e-9:
            continue
        l_, g, t, b, c, y, s = k
        p = k[:5]
        duty = d.offline_duty(l_, s) if c == "offline" else 1.0
        f = d.gpu_dyn_factor.get(g, 1.0)
        dyn[(y, s, "GPU")] += (
            duty * f * t * (d.gpu_power_kw[p] - d.gpus[g].idle_kw) * val / d.cap[p]
        )
        key = (l_, g, t, d.class_pool[c], y, s)
        busy[key] = busy.get(key, 0.0) + val / d.cap[p]
        util_rows.append(
            {
                "llm": l_,
                "gpu": g,
                "tp": t,
                "batch": b,
                "class": c,
                "year": y,
                "slot": s,
                "tokens_per_s": val,
                "replica_equiv": val / d.cap[p],
            }
        )
        if c == "offline":
            owned_share = _owned_share(owned_in_use, m, d, g, y)
            off_rows.append(
                {
                    "llm": l_,
                    "where": f"gpu:{g}",
                    "year": y,
                    "slot": s,
                    "window_hours": d.offline_slot_hours.get((l_, s), 0.0),
                    "tokens_per_s": val,
                    "tokens_per_day": val * 3600 * d.offline_slot_hours.get((l_, s), 0.0),
                    "owned_share": owned_share,
                }
            )
    for k in m.XC:
        val = _v(m.xc[k])
        if val <= 1e-9:
            continue
        l_, h, b, y, s = k
        duty = d.offline_duty(l_, s)
        dyn[(y, s, "CPU")] += duty * d.cpu_dyn_kw[(l_, h, b)] * val / d.cpu_cap[(l_, h, b)]
        off_rows.append(
            {
                "llm": l_,
                "where": f"cpu:{d.hosts[h].platform}",
                "year": y,
                "slot": s,
                "window_hours": d.offline_slot_hours.get((l_, s), 0.0),
                "tokens_per_s": val,
                "tokens_per_day": val * 3600 * d.offline_slot_hours.get((l_, s), 0.0),
                "owned_share": 1.0 if d.hosts[h].owned else 0.0,
            }
        )
    utilisation = pd.DataFrame(util_rows)
    offline = pd.DataFrame(
        off_rows,
        columns=[
            "llm",
            "where",
            "year",
            "slot",
            "window_hours",
            "tokens_per_s",
            "tokens_per_day",
            "owned_share",
        ],
    )

    # ---- power, operational carbon by component -----------------------------------------
    p_rows = []
    oper = {c: 0.0 for c in COMPONENTS}
    energy = 0.0
    for y in d.years:
        for s in d.slots:
            comp = {c: static_kw[(y, c)] for c in COMPONENTS}
            comp["GPU"] += dyn[(y, s, "GPU")]
            comp["CPU"] += dyn[(y, s, "CPU")]
            total = sum(comp.values())
            for c in COMPONENTS:
                oper[c] += w * pue * ci[(y, s)] * comp[c]
            energy += w * pue * total
            p_rows.append(
                {
                    "year": y,
                    "slot": s,
                    "hour_start": s * d.slot_hours,
                    "it_power_kw": total,
                    "grid_kg_per_kwh": ci[(y, s)],
                    **{f"{c.lower()}_kw": comp[c] for c in COMPONENTS},
                }
            )
    power = pd.DataFrame(p_rows)
    emb_scale = _v(m.embodied_scale)
    breakdown = pd.DataFrame(
        [
            {
                "component": c,
                "operational_kg": oper[c],
                "embodied_kg": emb[c] * emb_scale,
                "total_kg": oper[c] + emb[c] * emb_scale,
            }
            for c in COMPONENTS
        ]
    )
    on_tokens = sum(d.online_demand.values()) * w
    metrics = pd.Series(
        {
            "carbon_kg": breakdown["total_kg"].sum(),
            "operational_kg": breakdown["operational_kg"].sum(),
            "embodied_kg": breakdown["embodied_kg"].sum(),
            "energy_kwh": energy,
            "cost_usd": _v(m.cost),
            "capex_usd": _v(m.capex),
            "latency_s_per_token": _v(m.latency) if on_tokens else math.nan,
            "gpu_hours": _v(m.gpu_hours),
            "gpus": float(replicas.loc[replicas["year"] == d.years[0], "gpus"].sum())
            if len(replicas)
            else 0.0,
            "hosts": float(deployment.loc[deployment["year"] == d.years[0], "hosts"].sum())
            if len(deployment)
            else 0.0,
            "offline_tokens_per_day": float(offline["tokens_per_day"].sum() / len(d.years))
            if len(offline)
            else 0.0,
            "offline_share_host_cpu": _share(offline, "cpu:"),
            **base_metrics,
        }
    )
    tables = {
        "fleet": fleet,
        "deployment": deployment,
        "replicas": replicas,
        "breakdown": breakdown,
        "power": power,
        "utilisation": utilisation,
        "offline": offline,
    }
    return Results(d.scenario.name, obj, outcome.status, metrics, tables, meta)


def non_finite_values(m: pyo.ConcreteModel) -> list[str]:
    """Names of the model's variables whose solution value is NaN or infinite."""
    return [
        v.name
        for v in m.component_data_objects(pyo.Var, active=True)
        if v.value is not None and not math.isfinite(v.value)
    ]


#: Relative (and, in tokens/s, absolute) tolerance of the post-solve demand check.
DEMAND_TOLERANCE = 1e-6


def demand_shortfall(m: pyo.ConcreteModel, d: ModelData) -> list[str]:
    """Demands the solution does not serve, recomputed from the served rates and the data.

    Online: served tokens/s per (LLM, year, slot) against the peak demand; offline: tokens
    per day credited only for the window hours of each slot against the daily volume. Both
    scaled by ``demand_scale``. Empty when every demand is met within
    :data:`DEMAND_TOLERANCE` (slack-mode models, which may leave demand unmet on purpose,
    are not checked).
    """
    if len(m.unmet_online) or len(m.unmet_offline):
        return []
    scale = _v(m.demand_scale)
    served_on: dict[tuple[str, int, int], float] = {}
    served_off: dict[tuple[str, int], float] = {}
    for k in m.XK:
        if k[4] == "online":
            key = (k[0], k[5], k[6])
            served_on[key] = served_on.get(key, 0.0) + _v(m.x[k])
        else:
            hours = d.offline_slot_hours.get((k[0], k[6]), 0.0)
            served_off[(k[0], k[5])] = served_off.get((k[0], k[5]), 0.0) + _v(m.x[k]) * hours
    for k in m.XC:
        hours = d.offline_slot_hours.get((k[0], k[4]), 0.0)
        served_off[(k[0], k[3])] = served_off.get((k[0], k[3]), 0.0) + _v(m.xc[k]) * hours
    out = []
    for (llm, y, s), dem in sorted(d.online_demand.items()):
        need, got = dem * scale, served_on.get((llm, y, s), 0.0)
        if got < need - DEMAND_TOLERANCE * max(need, 1.0):
            out.append(f"llms.{llm}.online year {y} slot {s}: {got:.6g} of {need:.6g} tokens/s")
    for (llm, y), dem in sorted(d.offline_demand.items()):
        need, got = dem * scale, served_off.get((llm, y), 0.0) * 3600.0
        if got < need - DEMAND_TOLERANCE * max(need, 86400.0):
            out.append(
                f"llms.{llm}.offline year {y}: {got:.6g} of {need:.6g} tokens/day in its window"
            )
    return out


def _share(offline: pd.DataFrame, prefix: str) -> float:
    if offline.empty:
        return 0.0
    tot = offline["tokens_per_day"].sum()
    part = offline.loc[offline["where"].str.startswith(prefix), "tokens_per_day"].sum()
    return float(part / tot) if tot > 0 else 0.0


def _owned_gpus_in_use(m: pyo.ConcreteModel, d: ModelData) -> dict[tuple[str, int], int]:
    """Owned GPUs actually mounted, per (owned pool, year).

    With a zero residual embodied share an owned GPU costs nothing, so the solver may set
    ``use_owned_gpu`` above what is mounted; the GPUs in use are the mounted ones that new
    purchases do not cover, filled from the owned pools in order.
    """
    out = {(o, y): 0 for o, y in m.OG}
    for g in d.gpus:
        for y in d.years:
            new = sum(_v(m.buy_gpu[c]) for c in m.GC if c[0] == g and c[1] <= y < c[1] + c[2])
            need = max(0, round(_v(m.mounted[g, y]) - new))
            for o, yy in m.OG:
                if yy == y and d.owned_gpus[o]["gpu"] == g and need > 0:
                    take = min(need, round(_v(m.use_owned_gpu[o, y])))
                    out[(o, y)] = take
                    need -= take
    return out


def _owned_share(
    owned_in_use: dict[tuple[str, int], int], m: pyo.ConcreteModel, d: ModelData, g: str, y: int
) -> float:
    owned = sum(n for (o, yy), n in owned_in_use.items() if yy == y and d.owned_gpus[o]["gpu"] == g)
    mounted = _v(m.mounted[g, y])
    return min(owned / mounted, 1.0) if mounted > 0 else 0.0


def offline_timing(
    power: pd.DataFrame, offline: pd.DataFrame, year: int | None = None
) -> dict[str, float] | None:
    """When the offline work ran, against the grid intensity of the representative day.

    From the ``power`` and ``offline`` tables of one planning year (default: the first):
    ``low_half_share`` = share of the offline tokens served in the slots whose intensity is
    below the day's median (the cleaner half; NaN when all slots are equally clean),
    ``weighted_ci`` = token-weighted mean intensity of the offline work and ``day_ci`` = mean
    intensity over the slots (kgCO2e/kWh, slot-hour weighted). ``None`` when there is no
    offline work. Captions and summaries use this, so they say what the data shows.
    """
    if offline is None or offline.empty or power is None or power.empty:
        return None
    yr = int(power["year"].min()) if year is None else year
    p = power[power["year"] == yr].set_index("slot")["grid_kg_per_kwh"].astype(float)
    tok = offline[offline["year"] == yr].groupby("slot")["tokens_per_day"].sum()
    tok = tok.reindex(p.index, fill_value=0.0).astype(float)
    total = float(tok.sum())
    if total <= 0:
        return None
    median = float(p.median())
    low = p < median - 1e-12 * max(abs(median), 1.0)
    return {
        "low_half_share": float(tok[low].sum()) / total if low.any() else float("nan"),
        "weighted_ci": float((tok * p).sum()) / total,
        "day_ci": float(p.mean()),
        "year": float(yr),
    }


def offline_timing_caption(timing: dict[str, float] | None) -> str:
    """One sentence stating where the offline work ran (from :func:`offline_timing`)."""
    if timing is None:
        return ""
    w, day = timing["weighted_ci"] * 1000.0, timing["day_ci"] * 1000.0
    share = timing["low_half_share"]
    if math.isnan(share):
        return (
            "The grid intensity is the same in every slot, so when the offline work runs "
            "does not change its carbon."
        )
    if w < day * (1 - 0.01):
        verdict = "the offline work runs mostly in cleaner-than-average hours"
    elif w > day * (1 + 0.01):
        verdict = "the offline work runs mostly in dirtier-than-average hours"
    else:
        verdict = "the offline work is spread over clean and dirty hours alike"
    return (
        f"{share:.0%} of the offline tokens run in the cleaner half of the slots; at a "
        f"token-weighted {w:,.0f} gCO2e/kWh against the day's mean {day:,.0f}, {verdict}."
    )

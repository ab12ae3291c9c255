"""Value checks of catalog tables: types, ranges, allowed values and cross-field rules.

Each rule is data (:data:`COLUMNS`, :data:`CROSS`), checked on load by :func:`check_table`;
the first violation raises a :class:`~ecoserve_opt.exceptions.CatalogError` naming the file,
the row (the CSV line number, header = line 1) and the column, e.g.
``models/gpus.csv: row 3.tdp_w: not a number (units belong in the column name: ...)``.
Messages never quote cell contents: the file may not be what the user thinks it is.

A hand-written table of rules rather than pandera: the catalog needs about 80 simple rules,
each failure must become one line in this package's ``file: row N.column: reason`` form,
and the rules are also the documentation (docs/catalog-format.md). pandera would add a
dependency tree for the same checks and still need its failure cases translated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ecoserve_opt.exceptions import CatalogError


@dataclass(frozen=True)
class Col:
    """Rule for one column: number (``int`` or ``float``) with bounds, or a choice of text."""

    kind: str = "float"  # "float" | "int" | "text"
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = True
    """Required columns have a value in every row; optional ones may be blank."""

    def bounds_text(self) -> str:
        """Human-readable allowed range."""
        lo = ""
        if self.ge is not None:
            lo = f">= {self.ge:g}"
        elif self.gt is not None:
            lo = f"> {self.gt:g}"
        hi = f"<= {self.le:g}" if self.le is not None else ""
        return " and ".join(p for p in (lo, hi) if p)


YEAR = Col("int", ge=1950, le=2200)
POS = Col(gt=0)
NONNEG = Col(ge=0)
POS_INT = Col("int", ge=1)
NONNEG_INT = Col("int", ge=0)


def _opt(c: Col) -> Col:
    return Col(c.kind, c.ge, c.gt, c.le, c.choices, required=False)


COLUMNS: dict[str, dict[str, Col]] = {
    "gpus.csv": {
        "generation_year": YEAR,
        "form_factor": Col("text", choices=("sxm", "pcie", "oam")),
        "memory_gb": POS,
        "mem_bw_gbs": _opt(POS),
        "fp16_tflops": _opt(POS),
        "tdp_w": POS,
        "idle_w": NONNEG,
        "lifetime_years": Col(gt=0, le=50),
        "die_area_mm2": _opt(POS),
        "process_nm": _opt(POS),
        "capex_usd": NONNEG,
    },
    "hosts.csv": {
        "generation_year": YEAR,
        "cores_per_socket": POS_INT,
        "min_sockets": POS_INT,
        "max_sockets": POS_INT,
        "cpu_tdp_w": POS,
        "cpu_idle_w": NONNEG,
        "mem_bw_gbs_per_socket": _opt(POS),
        "dimm_gb": POS,
        "dimm_w": NONNEG,
        "min_dimms": NONNEG_INT,
        "max_dimms": NONNEG_INT,
        "ssd_tb": NONNEG,
        "ssd_w": NONNEG,
        "min_ssds": NONNEG_INT,
        "max_ssds": NONNEG_INT,
        "gpu_slots": NONNEG_INT,
        "gpu_form_factor": Col("text", choices=("sxm", "pcie", "oam", "none")),
        "base_w": NONNEG,
        "lifetime_years": Col(gt=0, le=50),
        "capex_base_usd": NONNEG,
        "capex_cpu_usd": NONNEG,
        "capex_dimm_usd": NONNEG,
        "capex_ssd_usd": NONNEG,
        "dimm_max_w": _opt(NONNEG),
        "ssd_max_w": _opt(NONNEG),
        "nic_w": _opt(NONNEG),
        "fan_idle_w": _opt(NONNEG),
        "board_w": _opt(NONNEG),
        "dram_w_per_gbs": _opt(NONNEG),
        "fan_w_per_w": _opt(Col(ge=0, le=1)),
        "psu_loss_frac": _opt(Col(ge=0, le=1)),
    },
    "embodied.csv": {
        "kind": Col("text", choices=("gpu", "cpu", "dram", "ssd", "host_base")),
        "embodied_source": Col("text", choices=("act", "greensku", "boavizta", "lca")),
        "kgco2e": NONNEG,
        "per": Col("text", choices=("unit", "socket", "gb", "tb", "host")),
    },
    "llms.csv": {
        "params_b": _opt(POS),
        "active_params_b": _opt(POS),
        "n_layers": _opt(POS_INT),
        "d_model": _opt(POS_INT),
        "n_kv_heads": _opt(POS_INT),
        "head_dim": _opt(POS_INT),
        "bytes_per_param": _opt(POS),
        "weights_gb": POS,
        "kv_bytes_per_token": _opt(NONNEG),
    },
    "profiles.csv": {
        "tp": POS_INT,
        "batch": POS_INT,
        "prompt_tokens": POS_INT,
        "ttft_ms": POS,
        "tpot_ms": POS,
        "power_w": POS,
    },
    "cpu_profiles.csv": {
        "batch": POS_INT,
        "prompt_tokens": POS_INT,
        "ttft_ms": POS,
        "tpot_ms": POS,
        "power_w": POS,
        "mem_gb": _opt(NONNEG),
    },
    "grid_regions.csv": {
        "year": YEAR,
        "gco2e_per_kwh": NONNEG,
        "cfe_share": _opt(Col(ge=0, le=1)),
    },
    "grid_countries.csv": {"year": YEAR, "gco2e_per_kwh": NONNEG},
    "host_components.csv": {"idle": NONNEG, "max": NONNEG},
}
"""Per file, the columns checked (absent optional columns are skipped)."""

CROSS: dict[str, list[tuple[str, str]]] = {
    "gpus.csv": [("idle_w", "tdp_w")],
    "hosts.csv": [
        ("min_sockets", "max_sockets"),
        ("min_dimms", "max_dimms"),
        ("min_ssds", "max_ssds"),
        ("cpu_idle_w", "cpu_tdp_w"),
        ("dimm_w", "dimm_max_w"),
        ("ssd_w", "ssd_max_w"),
    ],
    "host_components.csv": [("idle", "max")],
    "llms.csv": [("active_params_b", "params_b")],
}
"""Per file, pairs ``(a, b)`` that must satisfy ``a <= b`` in every row."""


def _row(i: int) -> str:
    return f"row {i + 2}"  # header is line 1; rows are numbered as CSV lines


def check_table(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    """Check ``df`` (read from ``path``) against the rules; return it with numeric columns
    converted to numbers. Raises CatalogError naming file, row and column."""
    name = path.name
    if len(df) == 0:
        raise CatalogError(str(path), "", "table has a header but no rows")
    out = df.copy()
    for col, rule in COLUMNS.get(name, {}).items():
        if col not in out.columns:
            continue
        raw = out[col]
        if rule.kind != "text" and raw.dtype.kind in "iuf":
            # already numbers (pandas parsed the column): blank is missing, nothing to
            # convert; the text route below gives the same (str(number) is never blank)
            # for about a third of the load time
            blank = raw.isna()
            num = raw
        else:
            blank = raw.isna() | (raw.astype(str).str.strip() == "")
            num = None
        if rule.required and blank.any():
            i = int(np.flatnonzero(blank.to_numpy())[0])
            raise CatalogError(str(path), f"{_row(i)}.{col}", "value is missing")
        if rule.kind == "text":
            vals = raw.astype(str).str.strip()
            bad = ~blank & ~vals.isin(rule.choices)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise CatalogError(
                    str(path), f"{_row(i)}.{col}", f"must be one of {', '.join(rule.choices)}"
                )
            continue
        if num is None:
            num = pd.to_numeric(raw, errors="coerce")
        notnum = ~blank & num.isna()
        if notnum.any():
            i = int(np.flatnonzero(notnum.to_numpy())[0])
            raise CatalogError(
                str(path),
                f"{_row(i)}.{col}",
                "not a number (units belong in the column name: write the bare number)",
            )
        arr = num.to_numpy(dtype=float)
        # the checks below, vectorised, find the first offending row (catalogs have ~100k
        # cells); the loop then gives its message
        with np.errstate(invalid="ignore"):
            fine = np.isfinite(arr)
            if rule.kind == "int":
                fine &= arr == np.round(arr)
            for limit, ok in ((rule.ge, np.greater_equal), (rule.gt, np.greater)):
                if limit is not None:
                    fine &= ok(arr, limit)
            if rule.le is not None:
                fine &= arr <= rule.le
        first = np.flatnonzero(~(fine | np.isnan(arr)))
        for i in first[:1].tolist():
            v = float(arr[i])
            reason = ""
            if not math.isfinite(v):
                reason = "must be a finite number"
            elif rule.kind == "int" and v != round(v):
                reason = "must be a whole number"
            elif (
                (rule.ge is not None and v < rule.ge)
                or (rule.gt is not None and v <= rule.gt)
                or (rule.le is not None and v > rule.le)
            ):
                reason = f"must be {rule.bounds_text()}"
            if reason:
                raise CatalogError(str(path), f"{_row(i)}.{col}", reason)
        out[col] = num.astype("int64") if rule.kind == "int" and not blank.any() else num
    _check_across(path, out)
    return out


def _check_across(path: Path, out: pd.DataFrame) -> None:
    """The pair rules of :data:`CROSS` and the whole-table checks of :data:`TABLE_CHECKS`."""
    for a, b in CROSS.get(path.name, []):
        if a not in out.columns or b not in out.columns:
            continue
        worse = (out[a] > out[b]).to_numpy()
        if worse.any():
            i = int(np.flatnonzero(worse)[0])
            raise CatalogError(str(path), f"{_row(i)}.{a}", f"{a} must be <= {b}")
    for check in TABLE_CHECKS.get(path.name, ()):
        check(path, out)


#: Columns a power-capped variant shares with its base GPU (the same silicon).
CAP_SAME = ("memory_gb", "mem_bw_gbs", "fp16_tflops", "idle_w")


def _check_power_caps(path: Path, gpus: pd.DataFrame) -> None:
    """A power-capped variant (``ecoserve_opt/perf/power_cap.py``) is its base GPU with
    ``tdp_w`` = the cap: the base must be in the table with the same memory, bandwidth,
    tensor peak and idle power."""
    from ecoserve_opt.perf.power_cap import POWER_CAPS

    if "gpu" not in gpus.columns:
        return
    ids = gpus["gpu"].astype(str).tolist()
    for i, gid in enumerate(ids):
        cap = POWER_CAPS.get(gid)
        if cap is None:
            continue
        what = f"{gid} is a power-capped variant of {cap.base} (ecoserve_opt/perf/power_cap.py)"
        if "tdp_w" in gpus.columns and float(gpus["tdp_w"].iloc[i]) != cap.cap_w:
            raise CatalogError(
                str(path), f"{_row(i)}.tdp_w", f"{what}: tdp_w must be its cap, {cap.cap_w:g} W"
            )
        if cap.base not in ids:
            raise CatalogError(str(path), f"{_row(i)}.gpu", f"{what}: {cap.base} must be listed")
        j = ids.index(cap.base)
        for col in CAP_SAME:
            if col in gpus.columns and float(gpus[col].iloc[i]) != float(gpus[col].iloc[j]):
                raise CatalogError(
                    str(path), f"{_row(i)}.{col}", f"{what}: {col} must equal {cap.base}'s"
                )


TABLE_CHECKS: dict[str, tuple[Callable[[Path, pd.DataFrame], None], ...]] = {
    "gpus.csv": (_check_power_caps,),
}
"""Per file, whole-table checks run after the column and pair rules."""

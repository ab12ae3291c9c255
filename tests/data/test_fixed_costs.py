"""The cheaper catalog and data paths of issue 20 (fixed costs) give exactly what the code
they replace gave: catalog checks of columns pandas already parsed as numbers, cached
catalog rows and embodied lookups, and the CPU serving section grouped once.

The references are the replaced code (modulo names); exact equality throughout.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ecoserve_opt.catalog import REQUIRED, load_catalog
from ecoserve_opt.catalog.validate import COLUMNS, check_table
from ecoserve_opt.data import profiles
from ecoserve_opt.data.build import build_data
from ecoserve_opt.exceptions import CatalogError
from ecoserve_opt.io.yaml_loader import load_scenario
from ecoserve_opt.paths import bundled_scenarios, catalog_dir
from ecoserve_opt.perf.roofline import cpu_specs

SCENARIOS = sorted(bundled_scenarios())
TABLES = sorted(COLUMNS)


@pytest.mark.parametrize("name", TABLES)
def test_numeric_columns_checked_as_the_text_route_checks_them(name: str) -> None:
    """A table read with its numbers parsed (the fast route) and the same table read as
    text (every cell a string: the route that converts with ``pd.to_numeric``) come out
    of ``check_table`` identical, values and dtypes."""
    path = catalog_dir() / name
    if not path.exists():
        pytest.skip(f"no {name} in the bundled catalog")
    parsed = pd.read_csv(path, encoding="utf-8")
    as_text = pd.read_csv(path, encoding="utf-8", dtype=str)
    assert any(parsed[c].dtype.kind in "iuf" for c in COLUMNS[name] if c in parsed)
    fast = check_table(path, parsed)
    slow = check_table(path, as_text)
    checked = [c for c in COLUMNS[name] if c in parsed.columns]
    pd.testing.assert_frame_equal(fast[checked], slow[checked], check_exact=True)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (-5.0, "must be >= 0"),
        (float("inf"), "must be a finite number"),
    ],
)
def test_numeric_fast_route_keeps_its_messages(tmp_path: Path, value: float, reason: str) -> None:
    """A parsed (float) column still names the row and the rule it breaks."""
    df = pd.read_csv(catalog_dir() / "gpus.csv", encoding="utf-8")
    df["idle_w"] = df["idle_w"].astype(float)
    df.loc[2, "idle_w"] = value
    with pytest.raises(CatalogError) as err:
        check_table(tmp_path / "gpus.csv", df)
    assert str(err.value).endswith(f"row 4.idle_w: {reason}")


def test_catalog_rows_are_cached_copies() -> None:
    cat = load_catalog()
    gpu = str(cat.gpus.index[0])
    first = cat.row("gpus", gpu)
    assert first == {str(k): v for k, v in cat.gpus.loc[gpu].to_dict().items()}
    first["tdp_w"] = -1.0  # the caller's dict is its own
    assert cat.row("gpus", gpu)["tdp_w"] == cat.gpus.loc[gpu, "tdp_w"]
    key = cat.embodied.index[0]
    assert cat.embodied_kg(*key) == float(cat.embodied.loc[key, "kgco2e"])
    # a replaced table (dataclasses.replace) starts with an empty cache
    changed = cat.gpus.copy()
    changed.loc[gpu, "tdp_w"] = 123.0
    other = dataclasses.replace(cat, gpus=changed)
    assert other.row("gpus", gpu)["tdp_w"] == 123.0
    assert cat.row("gpus", gpu)["tdp_w"] == cat.gpus.loc[gpu, "tdp_w"] != 123.0
    with pytest.raises(CatalogError, match="no embodied-carbon row for gpu 'nope'"):
        cat.embodied_kg("gpu", "nope", "act")


def _reference_cpu_section(s: Any, cat: Any, hosts: Any) -> profiles.CpuSection:
    """``cpu_section`` before issue 20's fixed costs: a filter of the CPU profiles per
    (LLM, host) and the LLM's catalog row read per point."""
    sec = profiles.CpuSection([], {}, {})
    if not s.pillars.reuse_host_cpus or cat.cpu_profiles is None:
        return sec
    cp = cat.cpu_profiles.reset_index()
    llm_spec, _ = profiles._roofline_specs(cat)
    try:
        cpu_spec = cpu_specs(cat.hosts)
    except (KeyError, ValueError, TypeError):
        cpu_spec = {}
    for llm, spec in s.llms.items():
        if spec.offline is None:
            continue
        n_in, n_out = spec.offline.input_tokens, spec.offline.output_tokens
        for hid, h in hosts.items():
            rows = cp[(cp["llm"] == llm) & (cp["cpu"] == h.cpu)]
            for bkey, grp in rows.groupby("batch"):
                batch = int(bkey)
                ref = profiles._cpu_reference(llm_spec.get(llm), cpu_spec.get(h.cpu), batch)
                point = profiles._profile_point(grp, n_in, n_out, batch, ref)
                if point is None:
                    continue
                key = profiles.CpuPoint(llm, hid, batch)
                sec.points.append(key)
                sec.cap[key] = point[3]
                traffic = profiles._cpu_traffic_gbs(
                    point[3],
                    batch,
                    float(cat.row("llms", llm)["weights_gb"]),
                    float(cat.row("llms", llm).get("kv_bytes_per_token", 0.0)),
                    n_in,
                    n_out,
                )
                if h.mem_bw_gbs > 0:
                    traffic = min(traffic, h.mem_bw_gbs)
                dc = max(point[2] - h.cpu_idle_dc_kw, 0.0) + h.dram_kw_per_gbs * traffic
                sec.dyn_kw[key] = dc * h.dyn_factor
    sec.points.sort()
    return sec


@pytest.mark.parametrize("name", SCENARIOS)
def test_cpu_section_identical_to_filter_version(name: str) -> None:
    loaded = load_scenario(bundled_scenarios()[name])
    data = build_data(loaded)
    s = data.scenario
    cat = load_catalog(None if s.catalog == "default" else loaded.base_dir / s.catalog)
    hosts = {h: data.hosts[h] for h in data.hosts}
    new = profiles.cpu_section(s, cat, hosts)
    ref = _reference_cpu_section(s, cat, hosts)
    assert new.points == ref.points
    assert new.cap == ref.cap
    assert new.dyn_kw == ref.dyn_kw
    if name in ("cpu_reuse", "ecoserve_paper"):
        assert ref.points, f"{name}: no CPU points to compare"


def test_required_tables_all_have_rules() -> None:
    """Every required catalog table goes through ``check_table``'s rules (so the fast
    route above is exercised on the tables every solve loads)."""
    assert set(REQUIRED) <= set(COLUMNS)


def test_serve_point_is_the_point_of_its_fields() -> None:
    """``Serve.point`` and ``CpuServe.point`` slice their first fields into the point type:
    the same value and type as building it field by field (and the field orders agree)."""
    from ecoserve_opt.data.keys import CpuPoint, CpuServe, Point, Serve

    assert Serve._fields[:6] == Point._fields
    assert CpuServe._fields[:3] == CpuPoint._fields
    x = Serve("llama3-8b", "h100-80gb", 2, 16, "online", "fp8", 3, 5)
    p = x.point
    assert type(p) is Point
    assert p == Point("llama3-8b", "h100-80gb", 2, 16, "online", "fp8")
    assert p.replica == ("llama3-8b", "h100-80gb", 2, "fp8")
    assert hash(p) == hash(Point("llama3-8b", "h100-80gb", 2, 16, "online", "fp8"))
    c = CpuServe("llama3-8b", "rome-host", 4, 1, 0).point
    assert type(c) is CpuPoint
    assert c == CpuPoint("llama3-8b", "rome-host", 4)

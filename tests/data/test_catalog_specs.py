"""The hand-typed spec tables of the catalog build (catalog_build/specs/*.csv)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from catalog_build import SPECS_DIR
from catalog_build.specs import SpecError, load_specs, parse_dies, source_groups
from ecoserve_opt.perf.roofline import CPU_ARCH, INTERCONNECT_GBS

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_source_groups_split_on_bracketed_columns() -> None:
    text = "[a,b] first (x; y); [c] second [not a group]"
    assert source_groups(text) == {("a", "b"): "first (x; y)", ("c",): "second [not a group]"}
    with pytest.raises(ValueError, match="does not start with"):
        source_groups("no group")


def test_parse_dies() -> None:
    dies = parse_dies("12 x 72 mm2 5nm taiwan + 1 x 397 mm2 7nm taiwan")
    assert dies == ((12, 72.0, "5nm", "taiwan"), (1, 397.0, "7nm", "taiwan"))
    with pytest.raises(ValueError, match="is not 'N x MM2"):
        parse_dies("12 CCDs")


def test_spec_rows_are_the_shipped_catalog_rows() -> None:
    specs = load_specs()
    gpus = pd.read_csv(MODELS / "gpus.csv").set_index("gpu")
    hosts = pd.read_csv(MODELS / "hosts.csv").set_index("host")
    assert list(specs.gpus) == list(gpus.index)
    assert list(specs.hosts) == list(hosts.index)
    for g in specs.gpus.values():
        row = gpus.loc[g.gpu]
        for col in ("memory_gb", "mem_bw_gbs", "fp16_tflops", "tdp_w", "capex_usd"):
            assert row[col] == getattr(g, col), (g.gpu, col)
        assert row["architecture"] == g.architecture
        assert g.datasheet in row["source"]
    for h in specs.hosts.values():
        c = specs.cpus[h.cpu]
        row = hosts.loc[h.host]
        assert (row["cpu"], row["cores_per_socket"], row["max_dimms"]) == (
            h.cpu,
            c.cores,
            h.max_dimms,
        )
        assert row["capex_dimm_usd"] == specs.dimms[c.dram_type].capex_usd


def test_every_spec_gpu_and_cpu_has_its_runtime_roofline_row() -> None:
    """A GPU added to gpus.csv needs its link bandwidth (ecoserve_opt/perf/interconnect.csv)
    and a CPU added to cpus.csv its FLOP rate (ecoserve_opt/perf/cpu_arch.csv)."""
    specs = load_specs()
    assert set(specs.gpus) <= set(INTERCONNECT_GBS)
    assert set(specs.cpus) <= set(CPU_ARCH)


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, dst)
    return dst


def test_a_number_without_source_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    df = pd.read_csv(folder / "gpus.csv", dtype=str, keep_default_na=False)
    df.loc[1, "source"] = df.loc[1, "source"].replace("[capex_usd]", "[price]")
    df.to_csv(folder / "gpus.csv", index=False, lineterminator="\n")
    with pytest.raises(
        SpecError, match=r"gpus.csv: row 3.source: no source names column 'capex_usd'"
    ):
        load_specs(folder)


def test_a_host_of_an_unknown_cpu_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    df = pd.read_csv(folder / "hosts.csv", dtype=str, keep_default_na=False)
    df.loc[0, "cpu"] = "zen9"
    df.to_csv(folder / "hosts.csv", index=False, lineterminator="\n")
    with pytest.raises(SpecError, match=r"hosts.csv: host 'genoa-8sxm'.cpu: 'zen9' is not a row"):
        load_specs(folder)


def test_a_non_number_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    df = pd.read_csv(folder / "cpus.csv", dtype=str, keep_default_na=False)
    df.loc[0, "tdp_w"] = "360 W"
    df.to_csv(folder / "cpus.csv", index=False, lineterminator="\n")
    with pytest.raises(SpecError, match=r"cpus.csv: row 2.tdp_w: '360 W' is not a number"):
        load_specs(folder)

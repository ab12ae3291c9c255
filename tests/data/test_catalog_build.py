"""The offline catalog build (catalog_build/, outside the wheel): one command rebuilds every
models/ file that comes from the shared field data, byte for byte."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pandas as pd
import pytest

from catalog_build import default_shared_dir
from catalog_build.__main__ import main
from catalog_build.embodied import (
    SSD_REFERENCE_TB,
    ActSource,
    BoaviztaSource,
    Embodied,
    EmbodiedSource,
    GreenSkuSource,
    build_embodied,
)
from catalog_build.specs import CpuSpec, DimmSpec, GpuSpec, HostSpec, load_specs

MODELS = Path(__file__).resolve().parents[2] / "models"
SHARED = default_shared_dir()
#: Hand-transcribed tables of models/ that no build step writes (each row cites its source).
NOT_BUILT = {
    "profile_measurements/public_tables.csv",
    "profile_measurements/power.csv",
    "profile_measurements/power_unstated_input.csv",
    "profile_measurements/power_traces.csv",
    "profile_measurements/llms.csv",
    "profile_measurements/cpu.csv",
    "profile_measurements/allreduce.csv",
}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_rebuild_reproduces_every_shipped_file(tmp_path: Path) -> None:
    """`python -m catalog_build all` writes every file of models/ except the hand-typed
    measurement tables, each byte-identical to the shipped one."""
    if not SHARED.is_dir():
        pytest.skip("shared field data (../shared/data or $ECOSERVE_SHARED_DATA) not available")
    pytest.importorskip("boaviztapi")
    installed = importlib.metadata.version("boaviztapi")
    emb = pd.read_csv(MODELS / "embodied.csv")
    tag = emb.loc[emb["embodied_source"] == "boavizta", "source"].iloc[0]
    if not tag.startswith(f"boaviztapi {installed} "):
        pytest.skip(f"shipped boavizta rows come from another boaviztapi than {installed}")
    out = tmp_path / "models"
    assert main(["all", "--shared", str(SHARED), "--out", str(out)]) == 0
    built = _files(out)
    assert built == _files(MODELS) - NOT_BUILT
    differ = [f for f in sorted(built) if (out / f).read_bytes() != (MODELS / f).read_bytes()]
    assert differ == []


def test_unknown_step_prints_the_steps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rebuild"]) == 2
    err = capsys.readouterr().err
    for step in ("all", "hardware", "profiles", "measurements", "fit-engine", "fit-cpu"):
        assert f"  {step} " in err


def test_the_three_sources_share_one_interface() -> None:
    for cls in (ActSource, GreenSkuSource, BoaviztaSource):
        for method in ("gpu", "cpu", "dram", "ssd", "host_base"):
            assert callable(getattr(cls, method, None)), (cls.__name__, method)
        assert isinstance(cls.name, str)


class _Flat:
    """A fourth source: 1 kg per die mm2 / GB / TB, 10 kg per host, 'direct' everywhere."""

    name = "flat"

    def gpu(self, g: GpuSpec) -> Embodied:
        return Embodied(g.die_area_mm2, "direct", "flat gpu")

    def cpu(self, c: CpuSpec) -> Embodied:
        return Embodied(sum(n * mm2 for n, mm2, _, _ in c.dies), "direct", "flat cpu")

    def dram(self, d: DimmSpec) -> Embodied:
        return Embodied(1.0, "derived", "per GB")

    def ssd(self, drive_tb: int) -> Embodied:
        return Embodied(float(drive_tb), "direct", "flat ssd")

    def host_base(self, h: HostSpec) -> Embodied:
        return Embodied(10.0, "direct", "flat host")


def test_build_embodied_iterates_over_any_source() -> None:
    """Every spec item gets one row per source, with the kind's per unit; a derived row says so
    in its source; the whole-part LCA rows follow."""
    flat: EmbodiedSource = _Flat()
    assert isinstance(flat, EmbodiedSource)
    specs = load_specs()
    df = build_embodied(None, specs=specs, sources=[flat])
    mine = df[df["embodied_source"] == "flat"].set_index(["kind", "item"])
    expected = (
        [("gpu", g) for g in specs.gpus]
        + [("cpu", c) for c in specs.cpus]
        + [("dram", d) for d in specs.dimms]
        + [("ssd", "ssd")]
        + [("host_base", h) for h in specs.hosts]
    )
    assert list(mine.index) == expected
    assert mine.loc[("gpu", "h100-80gb"), "kgco2e"] == specs.gpus["h100-80gb"].die_area_mm2
    assert mine.loc[("ssd", "ssd"), "kgco2e"] == SSD_REFERENCE_TB
    assert mine.loc[("dram", "ddr5"), "source"] == "derived: per GB"
    per = mine.reset_index().groupby("kind")["per"].unique().map(list).to_dict()
    assert per == {
        "cpu": ["socket"],
        "dram": ["gb"],
        "gpu": ["unit"],
        "host_base": ["host"],
        "ssd": ["tb"],
    }
    assert set(df.loc[df["embodied_source"] == "lca", "kind"]) == {"dram", "ssd"}


def test_default_sources_need_the_shared_data() -> None:
    with pytest.raises(ValueError, match="needs the shared data folder"):
        build_embodied(None, specs=load_specs())

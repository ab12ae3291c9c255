"""Class 5: a corrupt sweep store is detected, reported and its damaged points recomputed.

Before: a truncated point Parquet crashed every later ``sweep`` and ``plot`` and never
healed; a garbage ``sweep.json`` crashed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt.cli import app
from ecoserve_opt.io.yaml_loader import validate_dict
from ecoserve_opt.studies import ResultsStore, SweepResults, sweep

pytestmark = pytest.mark.milp
GRID = {"grid_intensity": "100:300:100"}  # 3 points
runner = CliRunner()


@pytest.fixture
def store_dir(tiny_dict: dict[str, Any], tmp_path: Path) -> Path:
    out = tmp_path / "sw"
    sweep(validate_dict(tiny_dict), GRID, out)
    return out


def _points(out: Path) -> list[str]:
    return sorted(p.stem for p in (out / "points").glob("*.json"))


def _carbon(out: Path) -> dict[str, float]:
    t = SweepResults.load(out).table
    return dict(zip(t["point_id"], t["carbon_kg"], strict=True))


def _damage(out: Path, pid: str, how: str) -> None:
    pts = out / "points"
    if how == "truncate_row":
        f = pts / f"{pid}.parquet"
        f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])
    elif how == "empty_row":
        (pts / f"{pid}.parquet").write_bytes(b"")
    elif how == "garbage_meta":
        (pts / f"{pid}.json").write_text("{not json")
    elif how == "meta_is_list":
        (pts / f"{pid}.json").write_text("[1, 2]")
    elif how == "garbage_fleet":
        (pts / f"{pid}.fleet.parquet").write_bytes(b"PAR1 garbage")
    elif how == "missing_row":
        (pts / f"{pid}.parquet").unlink()
    else:  # pragma: no cover
        raise AssertionError(how)


HOWS = ["truncate_row", "empty_row", "garbage_meta", "meta_is_list", "garbage_fleet", "missing_row"]


@pytest.mark.parametrize("how", HOWS)
def test_damage_is_detected_and_reported(store_dir: Path, how: str) -> None:
    pid = _points(store_dir)[1]
    _damage(store_dir, pid, how)
    store = ResultsStore(store_dir)
    assert set(store.damaged()) == {pid}
    assert not store.done(pid)
    res = SweepResults.load(store_dir)  # reading never crashes
    assert pid not in set(res.table["point_id"])
    assert len(res) == 2
    assert [w.split(": ", 1)[1][:27] for w in res.warnings()] == ["1 damaged point(s) left out"]


@pytest.mark.parametrize("how", ["truncate_row", "garbage_meta", "garbage_fleet"])
def test_rerun_recomputes_damaged_point(
    store_dir: Path, tiny_dict: dict[str, Any], how: str
) -> None:
    before = _carbon(store_dir)
    pid = _points(store_dir)[0]
    _damage(store_dir, pid, how)
    solved: list[Any] = []
    res = sweep(validate_dict(tiny_dict), GRID, store_dir, on_point=solved.append)
    assert [rec[0]["point_id"] for rec in solved] == [pid]  # only the damaged one
    assert ResultsStore(store_dir).damaged() == {}
    assert dict(zip(res.table["point_id"], res.table["carbon_kg"], strict=True)) == pytest.approx(
        before
    )


@pytest.mark.parametrize("garbage", ["{{{", "", "[1, 2, 3]", '{"runs": 5}', "\x00\xff"])
def test_garbage_manifest(store_dir: Path, tiny_dict: dict[str, Any], garbage: str) -> None:
    before = _carbon(store_dir)
    (store_dir / "sweep.json").write_text(garbage, encoding="latin-1")
    res = SweepResults.load(store_dir)  # read-only use: a warning, not a crash
    assert any("sweep.json is" in w for w in res.warnings())
    solved: list[Any] = []
    again = sweep(validate_dict(tiny_dict), GRID, store_dir, on_point=solved.append)
    assert solved == []  # points intact: nothing recomputed
    assert (store_dir / "sweep.json.corrupt").exists()
    man = json.loads((store_dir / "sweep.json").read_text())
    assert man["runs"][0]["params"] == ["grid_intensity"]
    assert again.warnings() == []
    assert _carbon(store_dir) == pytest.approx(before)


def test_garbage_manifest_still_refuses_other_scenario(
    store_dir: Path, tiny_dict: dict[str, Any]
) -> None:
    """The scenario hash is recovered from the points, so mixing scenarios is still refused."""
    from ecoserve_opt.exceptions import EcoserveError

    (store_dir / "sweep.json").write_text("garbage")
    tiny_dict["grid"]["pue"] = 1.3
    with pytest.raises(EcoserveError, match="holds points of another scenario"):
        sweep(validate_dict(tiny_dict), GRID, store_dir)


def test_cli_sweep_and_plot_heal(store_dir: Path, tiny_dict: dict[str, Any]) -> None:
    pid = _points(store_dir)[2]
    _damage(store_dir, pid, "truncate_row")
    (store_dir / "sweep.json").write_text("{oops")
    r = runner.invoke(app, ["plot", str(store_dir), "--out", str(store_dir / "a.svg")])
    assert r.exit_code == 0, r.output
    assert "1 damaged point(s) left out" in r.stderr
    assert "Traceback" not in r.output
    scen = store_dir.parent / "s.yaml"
    scen.write_text(yaml.safe_dump(tiny_dict))
    r = runner.invoke(
        app,
        ["sweep", str(scen), "-p", "grid_intensity", "-v", "100:300:100", "--out", str(store_dir)]
        + ["--workers", "0", "--no-progress"],
    )
    assert r.exit_code == 0, r.output
    assert "1 damaged stored point(s)" in r.stdout
    assert "sweep.json is unreadable (not JSON); kept as sweep.json.corrupt" in r.stdout
    assert ResultsStore(store_dir).damaged() == {}
    assert len(SweepResults.load(store_dir)) == 3

"""Class 7: the results of one solve are replaced as a unit, and ``report`` refuses a folder
whose tables and ``meta.json`` disagree. Class 8: names used in paths are sanitised."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt import Results
from ecoserve_opt.cli import app
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io import outputs
from ecoserve_opt.io.outputs import OutputPathError, safe_name
from tests.conftest import solve_dict

pytestmark = pytest.mark.milp
runner = CliRunner()


@pytest.fixture(scope="module")
def two_results(tmp_path_factory: Any) -> tuple[Results, Results]:
    """The tiny optimum at two grid intensities (different tables, same layout)."""
    import yaml as _yaml

    from tests.conftest import TINY

    base = _yaml.safe_load((TINY / "base.yaml").read_text())
    base["catalog"] = str(TINY / "catalog")
    a = solve_dict(base)
    base["llms"]["tiny-llm"]["online"]["tokens_per_s"] = 3000
    b = solve_dict(base)
    assert not a.tables["fleet"].equals(b.tables["fleet"])
    return a, b


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_second_solve_replaces_the_whole_folder(
    tmp_path: Path, two_results: tuple[Results, Results]
) -> None:
    a, b = two_results
    out = tmp_path / "res"
    a.to_dir(out)
    (out / "report.html").write_text("<html>stale</html>")
    b.to_dir(out, fmt="parquet")
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.endswith(".csv") and n != "metrics.csv"]
    assert "report.html" not in names  # a report of the old results does not survive
    assert sorted(os.listdir(tmp_path)) == ["res"]  # nothing left aside
    back = Results.from_dir(out)
    assert back.metrics["carbon_kg"] == pytest.approx(b.metrics["carbon_kg"])


@pytest.mark.parametrize("fail_at", [1, 3, 9])
def test_full_disk_mid_write_keeps_previous_results(
    tmp_path: Path, two_results: tuple[Results, Results], monkeypatch: Any, fail_at: int
) -> None:
    a, b = two_results
    out = tmp_path / "res"
    a.to_dir(out)
    before = _snapshot(out)
    import ecoserve_opt.results.container as results_mod

    real = results_mod.atomic_write_bytes
    calls = {"n": 0}

    def flaky(path: Any, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(results_mod, "atomic_write_bytes", flaky)
    with pytest.raises(EcoserveError) as exc:
        b.to_dir(out)
    assert str(exc.value) == (
        f"{out}: cannot write results (No space left on device); previous results left as they were"
    )
    assert _snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ["res"]


def test_failed_swap_puts_old_folder_back(
    tmp_path: Path, two_results: tuple[Results, Results], monkeypatch: Any
) -> None:
    a, b = two_results
    out = tmp_path / "res"
    a.to_dir(out)
    before = _snapshot(out)
    real = os.replace
    calls = {"n": 0}

    def second_fails(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # old moved aside; moving the new one in fails
            raise OSError(errno.EIO, "I/O error")
        real(src, dst)

    monkeypatch.setattr(outputs.os, "replace", second_fails)
    with pytest.raises(EcoserveError, match="previous results left as they were"):
        b.to_dir(out)
    monkeypatch.undo()
    assert _snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ["res"]


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("foreign_table", "fleet.csv does not match meta.json"),
        ("missing_table", "replicas.csv is missing"),
        ("edited_metrics", "metrics.csv does not match meta.json"),
        ("other_meta", "does not match meta.json"),
    ],
)
def test_report_refuses_mixed_folder(
    tmp_path: Path, two_results: tuple[Results, Results], tamper: str, reason: str
) -> None:
    a, b = two_results
    a.to_dir(tmp_path / "a")
    b.to_dir(tmp_path / "b")
    out = tmp_path / "a"
    if tamper == "foreign_table":
        (out / "fleet.csv").write_bytes((tmp_path / "b" / "fleet.csv").read_bytes())
    elif tamper == "missing_table":
        (out / "replicas.csv").unlink()
    elif tamper == "edited_metrics":
        with (out / "metrics.csv").open("a") as fh:
            fh.write("carbon_kg,1\n")
    else:  # the killed-mid-write layout of old: new meta.json beside old tables
        (out / "meta.json").write_bytes((tmp_path / "b" / "meta.json").read_bytes())
    r = runner.invoke(app, ["report", str(out)])
    assert r.exit_code == 2, r.output
    line = r.stderr.strip()
    assert line.startswith(f"error: {out}: ")
    assert reason in line
    assert len(line.splitlines()) == 1
    assert not (out / "report.html").exists()


def test_report_accepts_untouched_and_pre_hash_folders(
    tmp_path: Path, two_results: tuple[Results, Results]
) -> None:
    a, _ = two_results
    out = a.to_dir(tmp_path / "a")
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    meta = json.loads((out / "meta.json").read_text())
    del meta["files_sha256"]  # a folder written before the check existed
    (out / "meta.json").write_text(json.dumps(meta))
    assert Results.from_dir(out).metrics["carbon_kg"] == pytest.approx(a.metrics["carbon_kg"])


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("file", "exists and is a file, not a folder"),
        ("inside_file", "is a file, not a folder"),
        ("foreign", "folder holds files this command did not write (e.g. 'notes.txt')"),
    ],
)
def test_to_dir_refuses_unusable_targets(
    tmp_path: Path, two_results: tuple[Results, Results], setup: str, reason: str
) -> None:
    a, _ = two_results
    target = tmp_path / "t"
    if setup == "file":
        target.write_text("x")
    elif setup == "inside_file":
        (tmp_path / "f").write_text("x")
        target = tmp_path / "f" / "sub"
    else:
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputPathError) as exc:
        a.to_dir(target)
    assert reason in str(exc.value)
    if setup == "foreign":
        assert (target / "notes.txt").read_text() == "mine"


# ---- class 8: names used in paths ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x/../../../escaped", "x_.._.._.._escaped"),
        ("../../etc", "_.._etc"),
        ("..", "scenario"),
        (".", "scenario"),
        ("", "scenario"),
        ("/abs/path", "_abs_path"),
        ("a\\b", "a_b"),
        ("name\x00\x1b[31m", "name_31m"),
        (".hidden", "hidden"),
        ("ok-name_1.2+x", "ok-name_1.2+x"),
        ("x" * 300, "x" * 80),
    ],
)
def test_safe_name(name: str, expected: str) -> None:
    got = safe_name(name)
    assert got == expected
    assert "/" not in got
    assert got not in ("", ".", "..")
    assert not got.startswith(".")


def test_sweep_default_folder_stays_in_working_folder(
    tmp_path: Path, tiny_dict: dict[str, Any], monkeypatch: Any
) -> None:
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    scen = work / "s.yaml"
    scen.write_text(yaml.safe_dump(tiny_dict))
    monkeypatch.chdir(work)
    r = runner.invoke(
        app,
        ["sweep", "s.yaml", "-p", "grid_intensity", "-v", "100", "--workers", "0"]
        + ["--no-progress", "-o", "name=x/../../../escaped"],
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in work.iterdir()) == ["results", "s.yaml"]
    assert [p.name for p in (work / "results").iterdir()] == [
        "x_.._.._.._escaped-sweep-grid_intensity"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert not (tmp_path / "escaped").exists()

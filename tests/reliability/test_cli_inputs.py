"""CLI classes: output paths checked before building (1), user text escaped (2), solver
options checked like the schema (9), one-line messages (10), NOT OPTIMAL per sweep point (11).
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt.cli import app
from ecoserve_opt.cli._common import clean, esc

runner = CliRunner()


def _build_bindings(target: object) -> list[ModuleType]:
    """Every loaded ecoserve_opt module that binds ``build`` to ``target`` (read from the
    module dict, so the package's lazy ``__getattr__`` is not triggered)."""
    return [
        mod
        for name, mod in list(sys.modules.items())
        if name.split(".")[0] == "ecoserve_opt"
        and isinstance(mod, ModuleType)
        and vars(mod).get("build") is target
    ]


@pytest.fixture
def no_build() -> Iterator[None]:
    """Fail loudly if a command gets as far as building a model.

    Every module that imports ``build`` is loaded *before* anything is patched (a module first
    imported while ``api.build`` is the fake would bind the fake for good), every binding of
    the real ``build`` is then patched, and after the undo no module may still hold the fake:
    a command that imports a new ``build`` user lazily fails here instead of in a later test.
    The fake also counts its calls, so a build is caught even if a command swallowed the error.
    """
    import ecoserve_opt.api as api

    for name in ("ecoserve_opt.studies", "ecoserve_opt.cli"):
        importlib.import_module(name)
    real = api.build
    calls: list[tuple[Any, ...]] = []

    def boom(*a: Any, **_k: Any) -> None:
        calls.append(a)
        raise AssertionError("the model was built before the option/path check")

    with pytest.MonkeyPatch.context() as mp:
        patched = _build_bindings(real)
        assert {m.__name__ for m in patched} >= {"ecoserve_opt.api", "ecoserve_opt.studies.points"}
        for mod in patched:
            mp.setattr(mod, "build", boom)
        yield
    leaked = [mod.__name__ for mod in _build_bindings(boom)]
    assert not leaked, f"the fake build leaked into {leaked}"
    assert not calls, f"build was called {len(calls)} time(s) before the option/path check"


def _one_line(r: Any, code: int = 2) -> str:
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# ---- class 1: output paths checked before the model is built --------------------------------
@pytest.mark.parametrize(
    ("setup", "args", "expected"),
    [
        ("file", ["--out", "{t}/f.txt"], "--out {t}/f.txt: exists and is a file, not a folder"),
        ("file", ["--out", "{t}/f.txt/sub"], "--out {t}/f.txt/sub: {t}/f.txt is a file"),
        ("foreign", ["--out", "{t}/mine"], "folder holds files this command did not write"),
        ("file", ["--save-lp", "{t}/f.txt/m.lp"], "--save-lp {t}/f.txt/m.lp: {t}/f.txt is a file"),
        ("folder", ["--save-lp", "{t}/d"], "--save-lp {t}/d: is a folder, not a file"),
    ],
)
def test_solve_output_paths_checked_first(
    tmp_path: Path, tiny_path: Path, no_build: None, setup: str, args: list[str], expected: str
) -> None:
    (tmp_path / "f.txt").write_text("x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    (tmp_path / "d").mkdir()
    args = [a.format(t=tmp_path) for a in args]
    r = runner.invoke(app, ["solve", str(tiny_path), *args])
    line = _one_line(r)
    assert expected.format(t=tmp_path) in line
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_unwritable_out_checked_first(
    tmp_path: Path, tiny_path: Path, no_build: None, monkeypatch: Any
) -> None:
    """Root ignores permission bits, so the write probe is made to fail like EROFS."""
    import tempfile

    def ro(*_a: Any, **_k: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", ro)
    r = runner.invoke(app, ["solve", str(tiny_path), "--out", str(tmp_path / "new")])
    line = _one_line(r)
    assert (
        line
        == f"error: --out {tmp_path / 'new'}: cannot write in {tmp_path} (Read-only file system)"
    )


@pytest.mark.parametrize("cmd", ["sweep", "pareto"])
def test_study_out_naming_a_file(tmp_path: Path, tiny_path: Path, no_build: None, cmd: str) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    extra = ["-p", "grid_intensity", "-v", "100"] if cmd == "sweep" else []
    r = runner.invoke(app, [cmd, str(tiny_path), *extra, "--out", str(f)])
    assert _one_line(r) == f"error: --out {f}: exists and is a file, not a folder"


def test_plot_and_report_out_paths(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    r = runner.invoke(app, ["plot", str(tmp_path), "--out", str(tmp_path / "f.txt" / "a.png")])
    assert "is a file, not a folder" in _one_line(r)
    r = runner.invoke(app, ["report", str(tmp_path), "--out", str(tmp_path)])
    assert _one_line(r) == f"error: --out {tmp_path}: is a folder, not a file"


@pytest.mark.milp
def test_save_lp_into_missing_folder_is_created(tmp_path: Path, tiny_path: Path) -> None:
    lp = tmp_path / "new" / "deeper" / "m.lp"
    r = runner.invoke(app, ["solve", str(tiny_path), "--save-lp", str(lp)])
    assert r.exit_code == 0, r.output
    assert lp.read_text().startswith("\\* Source Pyomo model name")


@pytest.mark.milp
def test_full_disk_during_solve_out_keeps_previous(
    tmp_path: Path, tiny_path: Path, monkeypatch: Any
) -> None:
    out = tmp_path / "res"
    assert runner.invoke(app, ["solve", str(tiny_path), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import ecoserve_opt.results.container as results_mod

    def full(*_a: Any, **_k: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results_mod, "atomic_write_bytes", full)
    r = runner.invoke(app, ["solve", str(tiny_path), "--out", str(out), "--format", "parquet"])
    assert _one_line(r) == (
        f"error: {out}: cannot write results (No space left on device); previous results "
        "left as they were"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["res"]


# ---- class 2: user text printed through rich ------------------------------------------------
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[/]", "[/]"),
        ("[red]x", "[red]x"),
        ("a:b:c", "a:b:c"),
        (":smile:", ":smile:"),
        ("[bold]x[/bold]", "[bold]x[/bold]"),
        ("a\x1b[31mb\x1b[0m", "ab"),
        ("a\x1b]0;title\x07b", "ab"),
        ("bell\x07", "bell\\x07"),
        ("nul\x00x", "nul\\x00x"),
        ("c1\x9bx", "c1\\x9bx"),
    ],
)
def test_clean_and_escape(text: str, shown: str) -> None:
    from rich.console import Console

    assert clean(text) == shown
    c = Console(record=True, emoji=False, width=200, color_system=None)
    c.print(esc(text), highlight=False)
    assert c.export_text().rstrip("\n") == shown


@pytest.mark.milp
@pytest.mark.parametrize("name", ["[/]", "[red]x", "a:b:c", "x\x1b[2Jy", "[link=file:///]z"])
def test_solve_prints_names_as_written(tiny_path: Path, name: str) -> None:
    import json

    r = runner.invoke(app, ["solve", str(tiny_path), "-o", f"name={json.dumps(name)}"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith(f"{clean(name)}  objective=carbon")
    assert "\x1b" not in r.stdout


@pytest.mark.parametrize("key", ["[/]", "[red]k", "a:smile:b", "k\x1b[31m"])
def test_validate_unknown_key_printed_as_written(tiny_path: Path, key: str) -> None:
    r = runner.invoke(app, ["validate", str(tiny_path), "-o", f"{key}=1"])
    line = _one_line(r)
    assert line == f"error: {tiny_path}: {clean(key)}: unknown key (not allowed here)"


# ---- class 9: CLI solver options checked like the schema ------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--time-limit", "-5"], "--time-limit: must be a finite number of seconds > 0 (got -5)"),
        (["--time-limit", "0"], "--time-limit: must be a finite number of seconds > 0 (got 0)"),
        (["--time-limit", "nan"], "--time-limit: must be a finite number of seconds > 0 (got nan)"),
        (["--time-limit", "inf"], "--time-limit: must be a finite number of seconds > 0 (got inf)"),
        (["--gap", "5"], "--gap: relative MIP gap must be in [0, 1) (got 5)"),
        (["--gap", "1"], "--gap: relative MIP gap must be in [0, 1) (got 1)"),
        (["--gap", "-0.1"], "--gap: relative MIP gap must be in [0, 1) (got -0.1)"),
        (["--gap", "nan"], "--gap: relative MIP gap must be in [0, 1) (got nan)"),
        (["--threads", "0"], "--threads: must be between 1 and 1024 (got 0)"),
        (["--threads", "-3"], "--threads: must be between 1 and 1024 (got -3)"),
    ],
)
@pytest.mark.parametrize("cmd", ["solve", "sweep", "pareto"])
def test_solver_options(
    tmp_path: Path, tiny_path: Path, no_build: None, cmd: str, args: list[str], expected: str
) -> None:
    extra = ["-p", "grid_intensity", "-v", "100"] if cmd == "sweep" else []
    r = runner.invoke(app, [cmd, str(tiny_path), *extra, *args, "--out", str(tmp_path / "o")])
    assert _one_line(r) == f"error: {expected}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--gap", "abc"], "error: Invalid value for '--gap': "),
        (["--threads", "1.5"], "error: Invalid value for '--threads': "),
        (["--bogus"], "error: No such option: --bogus"),
        (["--objective", "speed"], "error: --objective: unknown objective 'speed'"),
        (["--format", "xls"], "error: --format: 'xls' is not csv or parquet"),
    ],
)
def test_usage_errors_are_one_line(
    tiny_path: Path, no_build: None, args: list[str], expected: str
) -> None:
    assert _one_line(runner.invoke(app, ["solve", str(tiny_path), *args])).startswith(expected)


def test_sweep_parallel_options(tmp_path: Path, tiny_path: Path, no_build: None) -> None:
    base = ["sweep", str(tiny_path), "-p", "grid_intensity", "-v", "100", "--out", str(tmp_path)]
    r = runner.invoke(app, [*base[:-1], str(tmp_path / "o"), "--workers", "-1"])
    assert _one_line(r) == "error: --workers: must be >= 0 (got -1; 0 = serial)"
    r = runner.invoke(app, [*base[:-1], str(tmp_path / "o"), "--chunk-size", "0"])
    assert _one_line(r) == "error: --chunk-size: must be >= 1 (got 0)"


@pytest.mark.parametrize(
    ("value", "reason"),
    [("-5", "greater than 0"), ("0", "greater than 0"), (".nan", "finite number")],
)
def test_yaml_time_limit_checked(tiny_path: Path, value: str, reason: str) -> None:
    r = runner.invoke(app, ["solve", str(tiny_path), "-o", f"solver.time_limit={value}"])
    assert f"{tiny_path}: solver.time_limit: " in _one_line(r)
    assert reason in r.stderr


# ---- class 10: messages -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("=5", "error: --override '=5': empty field name in the dot.path before '='"),
        (" =5", "error: --override ' =5': empty field name in the dot.path before '='"),
        ("a..b=1", "error: --override 'a..b=1': empty field name in the dot.path before '='"),
        ("grid.=1", "error: --override 'grid.=1': empty field name in the dot.path before '='"),
        ("novalue", "error: --override 'novalue': expected dot.path=value"),
    ],
)
def test_override_without_field(tiny_path: Path, item: str, expected: str) -> None:
    assert _one_line(runner.invoke(app, ["validate", str(tiny_path), "-o", item])).startswith(
        expected
    )


def test_scenario_is_a_folder_or_missing(tmp_path: Path) -> None:
    r = runner.invoke(app, ["validate", str(tmp_path)])
    assert _one_line(r).startswith(f"error: {tmp_path}: cannot read file")
    r = runner.invoke(app, ["solve", str(tmp_path / "nope.yaml")])
    assert _one_line(r).startswith(f"error: {tmp_path / 'nope.yaml'}: file not found")


def test_binary_scenario_and_missing_argument(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    assert _one_line(runner.invoke(app, ["validate", str(p)])).startswith(f"error: {p}: ")
    r = runner.invoke(app, ["solve"])
    line = _one_line(r)  # CliRunner names the program after the test runner
    assert line.startswith("error: Missing argument 'scenario_file'. (see '")
    assert line.endswith(" solve --help')")


def test_binary_profiles_csv(tmp_path: Path, tiny_dict: dict[str, Any], catalog_copy: Any) -> None:
    cat = catalog_copy()
    (cat / "profiles.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd")
    tiny_dict["catalog"] = str(cat)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    line = _one_line(runner.invoke(app, ["validate", str(p)]))
    assert line.startswith(f"error: {cat.resolve() / 'profiles.csv'}: not a UTF-8 text CSV")


@pytest.mark.parametrize(
    "content",
    [
        "SECRET-TOKEN-123,password\nx,y\n",
        "hour,gco2e_per_kwh\nSECRET-TOKEN-123,5\n",
        "hour,gco2e_per_kwh\n0,SECRET-TOKEN-123\n",
    ],
)
def test_hourly_csv_contents_never_echoed(
    tmp_path: Path, tiny_dict: dict[str, Any], content: str
) -> None:
    (tmp_path / "other.csv").write_text(content)
    tiny_dict["grid"]["hourly_csv"] = "other.csv"
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    line = _one_line(runner.invoke(app, ["validate", str(p)]))
    assert "grid.hourly_csv" in line
    assert "SECRET" not in line
    assert "password" not in line


# ---- class 11: a time-limited sweep says NOT OPTIMAL per point --------------------------------
def test_sweep_prints_not_optimal_per_point(
    tmp_path: Path, tiny_path: Path, monkeypatch: Any
) -> None:
    """The sweep itself is replaced by a stored result with two time-limited points (a real
    time-limited solve is in test_limits_and_atomic.py); the CLI must flag each of them."""
    import importlib

    import pandas as pd

    from ecoserve_opt.studies.store import SweepResults

    studies = importlib.import_module("ecoserve_opt.studies")  # what the sweep command calls

    table = pd.DataFrame(
        {
            "point_id": ["p1", "p2", "p3"],
            "kind": ["sweep"] * 3,
            "grid_intensity": [100.0, 200.0, 300.0],
            "status": ["optimal", "feasible", "feasible"],
            "gap": [0.0, 0.0525, 0.125],
            "bound": [10.0, 20.0, 30.0],
            "carbon_kg": [10.0, 21.0, 34.0],
        }
    )

    class Fake(SweepResults):
        @property
        def params(self) -> list[str]:
            return ["grid_intensity"]

    monkeypatch.setattr(studies, "sweep", lambda *_a, **_k: Fake(table))
    r = runner.invoke(
        app,
        ["sweep", str(tiny_path), "-p", "grid_intensity", "-v", "100:300:100"]
        + ["--workers", "0", "--time-limit", "1", "--out", str(tmp_path / "o")],
    )
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("NOT OPTIMAL")]
    assert lines == [
        "NOT OPTIMAL: grid_intensity=200: stopped by a limit with gap 5.25% (bound 20); the "
        "design shown is the best found",
        "NOT OPTIMAL: grid_intensity=300: stopped by a limit with gap 12.50% (bound 30); the "
        "design shown is the best found",
    ]


@pytest.mark.parametrize(
    ("name", "spec", "expected"),
    [
        ("grid_intensity", "abc", "--values for grid_intensity: cannot read 'abc' as"),
        ("pue", "x,y", "--values for pue: could not convert string to float"),
        ("grid_intensity", "0:1e9:1", "1,000,000,001 values, more than 10,000 per parameter"),
        ("grid_intensity", "0:inf:1", "start, stop and step must be finite"),
        ("grid_intensity", "nan", "--values for grid_intensity: cannot read 'nan' as"),
        ("grid_intensity", [float("nan")], "--values for grid_intensity: values must be finite"),
        ("pue", "-1", "values must be finite and >= 0"),
    ],
)
def test_sweep_values_checked(name: str, spec: str | list[float], expected: str) -> None:
    from ecoserve_opt.exceptions import EcoserveError
    from ecoserve_opt.studies import parse_values

    with pytest.raises(EcoserveError) as exc:
        parse_values(name, spec)
    assert expected in str(exc.value)


def test_sweep_values_cli_one_line(tmp_path: Path, tiny_path: Path) -> None:
    r = runner.invoke(
        app,
        ["sweep", str(tiny_path), "-p", "grid_intensity", "-v", "abc", "--workers", "0"]
        + ["--no-progress", "--out", str(tmp_path / "o")],
    )
    assert _one_line(r).startswith("error: --values for grid_intensity: cannot read 'abc'")

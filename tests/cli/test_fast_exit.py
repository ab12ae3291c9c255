"""The ``ecoserve`` process exits through ``os._exit`` after its outputs are written
(issue 20, cheap fixed costs): exit codes, printed output, written files and log records
must be exactly those of a normal exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecoserve_opt.cli import fast_exit


def _ecoserve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m ecoserve_opt.cli ARGS`` in a fresh interpreter (the real entry point)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "ecoserve_opt.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.mark.milp
def test_solve_process_exit_0_with_outputs_and_json(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    r = _ecoserve("-vv", "solve", str(tiny_path), "--out", str(out), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "DEBUG pyomo" in r.stderr  # log records reached stderr
    # the last stdout line is the complete JSON (flushed before the exit)
    assert json.loads(r.stdout.strip().splitlines()[-1])["carbon_kg"] == pytest.approx(3950.2)
    assert json.loads((out / "meta.json").read_text())["status"] == "optimal"


def test_bad_input_process_exit_2(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["grid"]["pue"] = 0.5
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    r = _ecoserve("solve", str(p), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().startswith(f"error: {p}: grid.pue:")


def test_infeasible_process_exit_3(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["llms"]["tiny-llm"]["online"]["tpot_slo"] = "1 ms"
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    r = _ecoserve("solve", str(p), cwd=tmp_path)
    assert r.returncode == 3
    assert "best TPOT 5.0 ms > SLO 1.0 ms" in r.stderr


def test_usage_error_process_exit_2(tmp_path: Path) -> None:
    r = _ecoserve("solve", "--no-such-option", cwd=tmp_path)
    assert r.returncode == 2
    assert "No such option" in r.stderr


def test_fast_exit_returns_while_a_worker_thread_runs() -> None:
    """With a non-daemon thread alive the exit is left to Python (which joins it)."""
    done = threading.Event()
    t = threading.Thread(target=done.wait)
    t.start()
    try:
        fast_exit(SystemExit(0))  # returns instead of killing the test process
    finally:
        done.set()
        t.join()

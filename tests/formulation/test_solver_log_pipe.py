"""``--solver-log`` into a pipe whose reader has gone (``| head``) must not hang the solve.

Regression: the HiGHS log was written through a StreamHandler; the first write to the
closed pipe raised, ``logging.handleError`` then printed to Pyomo's captured stderr from
Pyomo's own reader thread and deadlocked it: the solve never returned.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TINY

pytestmark = pytest.mark.milp

SCRIPT = """
import sys, yaml
from ecoserve_opt.io.yaml_loader import validate_dict
from ecoserve_opt.solve import stream_solver_log
import ecoserve_opt as eo
data = yaml.safe_load(open(sys.argv[1]))
data["catalog"] = sys.argv[2]
stream_solver_log()
res = eo.solve(validate_dict(data), tee=True)
print("done", res.status.value)
"""


def test_solver_log_into_a_closed_pipe_finishes(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first log line
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2])] + sys.path)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(TINY / "base.yaml"), str(TINY / "catalog")],
            stdout=subprocess.PIPE,
            stderr=write_end,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "done optimal"

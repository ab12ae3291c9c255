"""What ``ecoserve solve`` imports (issue 20, fixed costs): a solve loads the modules it
uses and nothing of plotting, simulation, studies, reports, comparisons, Dask or the whole
of Pyomo (``pyomo.environ`` and its plugins), whose imports every run would pay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, TINY

#: never imported by a plain ``ecoserve solve``
NOT_ON_SOLVE_PATH = (
    "matplotlib",
    "scipy",
    "distributed",
    "dask",
    "pyomo.environ",
    "pyomo.gdp",
    "pyomo.dae",
    "pyomo.contrib.mindtpy",
    "ecoserve_opt.plot",
    "ecoserve_opt.simulate",
    "ecoserve_opt.studies",
    "ecoserve_opt.report",
    "ecoserve_opt.compare",
    "ecoserve_opt.diagnostics",
)

_CODE = """
import json, sys
import typer.main
from ecoserve_opt.cli import app
typer.main.get_command(app).main(sys.argv[1:], standalone_mode=False)
print(json.dumps(sorted(sys.modules)))
"""


def test_solve_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    args = ["solve", str(TINY / "base.yaml"), "--out", str(tmp_path / "out"), "--json"]
    r = subprocess.run(
        [sys.executable, "-c", _CODE, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=300,
    )
    lines = r.stdout.strip().splitlines()
    assert json.loads(lines[0])["status"] == "optimal"  # the solve ran
    loaded = set(json.loads(lines[-1]))
    assert {"pyomo.core", "pandas", "highspy", "ecoserve_opt.solve"} <= loaded
    unexpected = sorted(
        m for m in loaded if any(m == p or m.startswith(p + ".") for p in NOT_ON_SOLVE_PATH)
    )
    assert unexpected == []


def test_cli_import_is_light() -> None:
    """``import ecoserve_opt.cli`` (every command's startup, ``--help``) loads none of
    the numeric stack."""
    code = (
        "import sys, ecoserve_opt.cli\n"
        "heavy = ('pandas', 'numpy', 'pyomo', 'pydantic', 'yaml', 'highspy', 'matplotlib',"
        " 'pyarrow', 'ecoserve_opt.schema')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_bad_scenario_input_fails_before_the_heavy_imports(tmp_path: Path) -> None:
    """``ecoserve solve`` loads the scenario before anything needs pandas or Pyomo, so a
    bad override (or file) fails without those imports; the exit code and message are
    the usual ones."""
    code = (
        "import json, sys\n"
        "import typer.main\n"
        "from ecoserve_opt.cli import app\n"
        "rc = typer.main.get_command(app).main(sys.argv[1:], standalone_mode=False)\n"
        "heavy = ('pandas', 'pyomo', 'highspy', 'ecoserve_opt.results', 'ecoserve_opt.data')\n"
        "print(json.dumps([rc, [m for m in heavy if m in sys.modules]]))\n"
    )
    args = ["solve", str(TINY / "base.yaml"), "--out", str(tmp_path / "o"), "-o", "nosuch=1"]
    r = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert json.loads(r.stdout.strip().splitlines()[-1]) == [2, []]
    assert "nosuch: unknown key (not allowed here)" in r.stderr

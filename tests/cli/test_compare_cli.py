"""``ecoserve compare --out DIR`` on the tiny scenario (numbers: test_compare.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

pytestmark = pytest.mark.milp


def test_compare_cli_writes_compare_csv(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    from ecoserve_opt.cli import app

    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    out = tmp_path / "cmp"
    r = CliRunner().invoke(
        app, ["compare", str(p), "--out", str(out), "--latency-tolerance", "0.05"]
    )
    assert r.exit_code == 0, r.output
    assert (
        "EcoServe vs conventional performance-optimised [conventional]: 22.0% lower carbon"
        in r.output
    )
    assert "EcoServe vs cost-optimised [same-design-space]: 0.0% lower carbon" in r.output
    assert "INVARIANT" not in r.output
    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns[:2]) == ["design", "family"]
    assert (table["latency_tolerance"].dropna() == 0.05).all()
    assert (out / "pillar_effects.csv").exists()

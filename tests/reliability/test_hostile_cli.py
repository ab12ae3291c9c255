"""Hypothesis: hostile scenario text, overrides and CLI options never crash the CLI.

Whatever is generated, the exit code is one of the documented ones (0 ok, 2 bad input,
3 infeasible, 4 no solution), nothing prints a traceback, and a bad-input error is one line.
Kept small (few examples, no deadline) so it runs in seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ecoserve_opt.cli import app

runner = CliRunner()
TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"
CODES = {0, 2, 3, 4}
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Pieces a hostile user (or a fuzzer) would reach for: markup, ANSI, YAML tags, anchors,
# deep brackets, non-finite numbers, huge numbers, path tricks, binary bytes.
NASTY = st.sampled_from(
    [
        "[/]",
        "[red]x",
        "a:b:c",
        "\x1b[31m",
        "\x00",
        "!!python/object:os.system",
        "&a [*a]",
        "[" * 200,
        "{" * 50,
        ".inf",
        "-.inf",
        ".nan",
        "1e999",
        "-1",
        "0",
        "99999999999999999999999",
        "../../../x",
        "~",
        "null",
        "'",
        '"',
        "- - -",
        "\t",
        "é\u202e",
    ]
)
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=12)), max_size=6).map("".join)
KEYS = st.sampled_from(
    [
        "name",
        "grid.intensity",
        "grid.pue",
        "grid.hourly_csv",
        "llms.tiny-llm.online.tokens_per_s",
        "llms.tiny-llm.online.diurnal",
        "hardware.tp_degrees",
        "hardware.batches",
        "hardware.gpus",
        "recycle.gpu_extra_years",
        "solver.time_limit",
        "solver.mip_rel_gap",
        "solver.threads",
        "time_slots",
        "horizon",
        "catalog",
        "",
        "a..b",
        "[/]",
    ]
)


def _check(r: Any) -> None:
    assert r.exit_code in CODES, (r.exit_code, r.output, r.exception)
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    if r.exit_code == 2:
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@SETTINGS
@given(text=TEXT)
def test_hostile_scenario_text(tmp_path_factory: Any, text: str) -> None:
    p = tmp_path_factory.mktemp("h") / "s.yaml"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(runner.invoke(app, ["validate", str(p)]))


@SETTINGS
@given(overrides=st.lists(st.tuples(KEYS, TEXT), min_size=1, max_size=3))
def test_hostile_overrides(overrides: list[tuple[str, str]]) -> None:
    args = ["validate", str(TINY / "base.yaml")]
    for k, v in overrides:
        args += ["-o", f"{k}={v}"]
    _check(runner.invoke(app, args))


OPTION_VALUES = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1", "5", "1e999", "abc", "", "0.5"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 5).map(str),
)


@pytest.mark.milp
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    opts=st.dictionaries(
        st.sampled_from(["--time-limit", "--gap", "--threads", "--format", "--objective"]),
        OPTION_VALUES,
        max_size=3,
    ),
    out=st.sampled_from([None, "file", "file/sub", "dir"]),
)
def test_hostile_solve_options(
    tmp_path_factory: Any, opts: dict[str, str], out: str | None
) -> None:
    base = tmp_path_factory.mktemp("o")
    (base / "file").write_text("x")
    args = ["solve", str(TINY / "base.yaml")]
    for k, v in opts.items():
        args += [k, v]
    if out is not None:
        args += ["--out", str(base / out)]
    _check(runner.invoke(app, args))

"""``ecoserve diagnose``: pre-solve checks, coefficient ranges and a slack-mode solve."""

from __future__ import annotations

from typing import Annotated

import typer

from ecoserve_opt.cli._common import (
    EXIT_INFEASIBLE,
    OverrideOpt,
    ScenarioArg,
    ScenarioOpt,
    clean,
    console,
    guarded,
    load,
)


@guarded
def diagnose_cmd(
    scenario_file: ScenarioArg,
    scenario: ScenarioOpt = None,
    override: OverrideOpt = None,
    no_slack: Annotated[bool, typer.Option("--no-slack", help="Checks only.")] = False,
) -> None:
    """Pre-solve checks, coefficient ranges and a slack-mode solve locating unmet demand."""
    from ecoserve_opt.diagnostics import diagnose

    loaded = load(scenario_file, scenario, override)
    diag = diagnose(loaded, slack=not no_slack)
    console.print(clean(diag.text()), markup=False, highlight=False)
    if not diag.ok:
        raise typer.Exit(EXIT_INFEASIBLE)

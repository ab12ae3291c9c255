"""Command-line interface (``ecoserve``), built with Typer.

Errors in the scenario or catalog print one line naming the file, the field path and the
reason, and exit with status 2 (``--debug`` shows the traceback). An infeasible scenario
exits with 3 after printing the diagnosis; a solve stopped by a limit without any solution
exits with 4. A time-limited solve *with* a solution exits 0 but says plainly that it is
not optimal, with its gap.

Typer lives only in this package: one module per command group defines plain functions
with typed options (shared ones declared once in :mod:`ecoserve_opt.cli._common`) and this
module registers them on :data:`app`. Engine modules know nothing of the CLI.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ecoserve_opt.cli import catalog, compare, diagnose, report, scenarios, simulate, solve, sweep
from ecoserve_opt.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    STATE,
    OneLineErrors,
    console,
    err_console,
    fail,
    guarded,
    load,
    parse_overrides,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INFEASIBLE",
    "EXIT_NO_SOLUTION",
    "app",
    "console",
    "err_console",
    "fail",
    "guarded",
    "load",
    "parse_overrides",
]


class _App(typer.Typer):
    """The ``ecoserve`` entry point: exits without tearing the interpreter down.

    Calling the app (the console script, ``python -m ecoserve_opt.cli``) runs the command,
    which writes and closes its outputs; then, instead of letting Python free every object
    (a solved Pyomo model is millions of them: 1-4 CPU-s of garbage collection for nothing),
    :func:`fast_exit` flushes the streams and logging handlers and leaves with the same
    exit code through :func:`os._exit`. Only here: the library never exits, and
    ``typer.testing.CliRunner`` invokes the click command, not this method.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as stop:
            fast_exit(stop)
            raise


def fast_exit(stop: SystemExit) -> None:
    """Leave the process now with ``stop``'s exit code, after flushing stdout, stderr and
    every logging handler (:func:`logging.shutdown`).

    Returns (so the caller re-raises ``stop`` for a normal exit) when another non-daemon
    thread is still running, whose work an immediate exit would cut short. The exit code
    follows :class:`SystemExit`: ``None`` is 0, an int is itself, anything else is printed
    to stderr and gives 1.
    """
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        return
    code = stop.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken pipe
            stream.flush()
    os._exit(status)


app = _App(
    cls=OneLineErrors,
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # plain click help: Typer's rich help imports rich.markdown (markdown-it, pygments),
    # about a third of the CPU time of `ecoserve --help` (benchmarks/cli_startup.py)
    rich_markup_mode=None,
    help="ecoserve-opt: carbon-aware LLM inference fleet design (EcoServe 4R as a MILP).",
)


def _version(value: bool) -> None:
    if value:
        from ecoserve_opt import __version__

        typer.echo(f"ecoserve-opt {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True)] = 0,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    STATE["debug"] = debug
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    quiet = _QuietDask(logging.ERROR if verbose < 2 else logging.DEBUG)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _QuietDask) for f in handler.filters):
            handler.addFilter(quiet)


class _QuietDask(logging.Filter):
    """Drop Dask's own log records below ``level`` (its INFO chatter about schedulers,
    nannies and closing comms; a worker killed at shutdown); ``-vv`` shows them.
    """

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(("distributed", "dask", "tornado", "bokeh")):
            return record.levelno >= self.level
        return True


# Commands in the order `ecoserve --help` lists them: (name, function).
COMMANDS: list[tuple[str, Callable[..., Any]]] = [
    ("scenarios", scenarios.scenarios),
    ("init", scenarios.init),
    ("validate", solve.validate),
    ("solve", solve.solve_cmd),
    ("schema", solve.schema),
    ("check-solver", solve.check_solver),
    ("catalog", catalog.catalog),
    ("compare", compare.compare_cmd),
    ("diagnose", diagnose.diagnose_cmd),
    ("sweep", sweep.sweep_cmd),
    ("pareto", sweep.pareto_cmd),
    ("plot", sweep.plot_cmd),
    ("report", report.report_cmd),
    ("simulate", simulate.simulate_cmd),
]
for _name, _fn in COMMANDS:
    app.command(_name)(_fn)

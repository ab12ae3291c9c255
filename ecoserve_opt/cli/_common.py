"""What every ``ecoserve`` command shares: options, consoles, errors, scenario loading.

Each shared option is declared once here (as in Calliope's ``cli.py``) and reused by every
command module, so ``--scenario``, ``--override``, ``--gap`` ... read the same everywhere.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ecoserve_opt.exceptions import EcoserveError, InfeasibleError

# Wide tables when piped or captured (CI logs); the terminal's width otherwise. No emoji
# codes: a name such as ``a:b:c`` must print as written.
console = Console(width=None if sys.stdout.isatty() else 160, emoji=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160, emoji=False)
STATE = {"debug": False}

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4

F = TypeVar("F", bound=Callable[..., Any])

# ---- shared arguments and options ---------------------------------------------------------
ScenarioArg = Annotated[
    Path,
    typer.Argument(
        help="Scenario YAML file, or the name of a bundled scenario (see 'ecoserve scenarios')."
    ),
]
ScenarioOpt = Annotated[
    str | None,
    typer.Option("--scenario", "-s", help="Comma-separated override groups, e.g. 'a,b'."),
]
OverrideOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--override",
        "-o",
        help="dot.path=value (repeatable), e.g. grid.pue=1.3. A bare grid.intensity is "
        "gCO2e/kWh; or give a unit: grid.intensity='0.3 kgCO2e/kWh'.",
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        help="Solve on a local Dask cluster with N worker processes (needs "
        "'ecoserve-opt\\[dask]'); 0, the default, solves serially in this process.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Use an existing Dask cluster, e.g. tcp://host:8786."),
]
GapOpt = Annotated[float | None, typer.Option("--gap", help="Relative MIP gap.")]
TimeOpt = Annotated[float | None, typer.Option("--time-limit", help="Seconds per solve.")]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", help="HiGHS threads per solve.")]
NoProgressOpt = Annotated[bool, typer.Option("--no-progress", help="No progress bar.")]
RetryFailedOpt = Annotated[
    bool, typer.Option(help="Re-solve stored points that ended without a solution.")
]


# ---- user text ----------------------------------------------------------------------------
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """``text`` with ANSI escape sequences removed and other control characters shown as
    ``\\xNN`` (tabs and newlines kept), safe to print on a terminal."""
    s = _ANSI.sub("", str(text))
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)


def esc(text: object) -> str:
    """User-supplied text for a rich markup string: cleaned (:func:`clean`) and with
    ``[...]`` escaped, so ``[red]x`` or ``[/]`` print as written."""
    return escape(clean(text))


def plain(text: object, style: str = "") -> Text:
    """A rich Text (never parsed as markup) of cleaned user text."""
    return Text(clean(text), style=style)


# ---- errors -------------------------------------------------------------------------------
def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``error: message`` (one line, user text escaped) to stderr; return the Exit."""
    line = clean(message).replace("\n", " ").replace("\r", " ")
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", line), highlight=False, soft_wrap=True
    )
    return typer.Exit(code)


# Typer may vendor its own click: catch both its ClickException and click's.
_USAGE_ERRORS: tuple[type[Exception], ...] = (
    *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
    click.exceptions.ClickException,
)
_ABORTS: tuple[type[BaseException], ...] = (typer.Abort, click.exceptions.Abort)


class OneLineErrors(typer.core.TyperGroup):
    """Usage errors (bad option value, missing argument, unknown option) on one line:
    ``error: --gap: 'x' is not a valid float. (see 'ecoserve solve --help')``, exit 2."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the CLI; click usage errors become one line on stderr."""
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except _USAGE_ERRORS as exc:
            if not standalone_mode:
                raise
            ctx = getattr(exc, "ctx", None)
            if not exc.format_message() and ctx is not None:  # type: ignore[attr-defined]
                typer.echo(ctx.get_help())  # bare `ecoserve`: the help, as before
                sys.exit(int(getattr(exc, "exit_code", 0)))
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            code = int(getattr(exc, "exit_code", EXIT_BAD_INPUT))
            fail(f"{exc.format_message()}{hint}", code)  # type: ignore[attr-defined]
            sys.exit(code)
        except _ABORTS:
            if not standalone_mode:
                raise
            fail("aborted", 1)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def check_solver_options(
    time_limit: float | None = None, gap: float | None = None, threads: int | None = None
) -> None:
    """Check ``--time-limit``, ``--gap`` and ``--threads`` like the schema's ``solver.*``:
    EcoserveError naming the option (exit 2) before anything is built."""
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise EcoserveError(
            f"--time-limit: must be a finite number of seconds > 0 (got {time_limit:g})"
        )
    if gap is not None and not (math.isfinite(gap) and 0 <= gap < 1):
        raise EcoserveError(f"--gap: relative MIP gap must be in [0, 1) (got {gap:g})")
    if threads is not None and not 1 <= threads <= 1024:
        raise EcoserveError(f"--threads: must be between 1 and 1024 (got {threads})")


def guarded(fn: F) -> F:
    """Turn EcoserveErrors into one-line messages and exit codes (unless --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except InfeasibleError as exc:
            if STATE["debug"]:
                raise
            raise fail(str(exc), EXIT_INFEASIBLE) from None
        except EcoserveError as exc:
            if STATE["debug"]:
                raise
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except RecursionError:
            if STATE["debug"]:
                raise
            raise fail("input nested too deeply") from None
        except OSError as exc:  # a full disk, a vanished folder: one line, no traceback
            if STATE["debug"]:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{exc.strerror or type(exc).__name__}") from None

    return wrapper  # type: ignore[return-value]


def enable_solver_log() -> None:
    """Send the ``ecoserve_opt.highs`` logger (HiGHS's own log lines) to stderr; safe when
    stderr is a pipe whose reader goes away (see :class:`ecoserve_opt.solve.PipeSafeHandler`)."""
    from ecoserve_opt.solve import stream_solver_log

    stream_solver_log()


# ---- Dask and the results folder ----------------------------------------------------------
DASK_HINT = "pip install 'ecoserve-opt[dask]'"


def use_dask(workers: int, scheduler: str | None) -> bool:
    """True when Dask was asked for (``--workers N`` with N > 0, or ``--scheduler``);
    a one-line error with the install hint when it was asked for but is not installed."""
    if workers < 0:
        raise fail(f"--workers {workers}: must be 0 (serial) or more")
    if workers == 0 and not scheduler:
        return False
    try:
        import distributed  # noqa: F401
    except ImportError:
        asked = f"--scheduler {scheduler}" if scheduler else f"--workers {workers}"
        raise fail(  # fail() prints plain text (no markup): nothing to escape
            f"{asked} needs Dask, which is not installed: {DASK_HINT} "
            "(or drop the option to solve serially)"
        ) from None
    return True


RESULTS_ROOT = Path("results")


def groups(loaded: Any) -> list[str]:
    """The ``-s`` override groups applied to a loaded scenario (not the ``-o`` settings)."""
    return [a for a in loaded.applied if "=" not in a]


def results_folder(*parts: str) -> Path:
    """``results/<parts joined by '-'>``: the default output folder of a command, named
    after the scenario (and the study), under ``results/`` in the working folder."""
    from ecoserve_opt.io.outputs import safe_name

    return RESULTS_ROOT / safe_name("-".join(p for p in parts if p))


# ---- scenario loading ---------------------------------------------------------------------
def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": 1, "c": "x"}`` (values parsed as YAML)."""
    from ecoserve_opt.io.yaml_loader import parse_override_value

    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise EcoserveError(f"--override {item!r}: expected dot.path=value")
        key, val = item.split("=", 1)
        key = key.strip()
        parts = key.split(".")
        if not key or any(not p.strip() for p in parts):
            raise EcoserveError(
                f"--override {item!r}: empty field name in the dot.path before '=' "
                "(expected e.g. grid.pue=1.3)"
            )
        out[key] = parse_override_value(val, key)
    return out


def load(path: Path, scenario: str | None, override: list[str] | None) -> Any:
    """Load and validate a scenario with CLI overrides."""
    from ecoserve_opt.io.yaml_loader import load_scenario

    return load_scenario(path, scenario=scenario, overrides=parse_overrides(override))


# ---- tables -------------------------------------------------------------------------------
def df_table(df: Any, title: str, floatfmt: str = "{:,.4g}", max_rows: int = 40) -> Table:
    """A rich Table from a DataFrame."""
    t = Table(title=plain(title), title_justify="left", show_lines=False)
    for c in df.columns:
        t.add_column(plain(c), justify="right" if df[c].dtype.kind in "iuf" else "left")
    for _, row in df.head(max_rows).iterrows():
        t.add_row(*[plain(floatfmt.format(v) if isinstance(v, float) else v) for v in row])
    if len(df) > max_rows:
        t.caption = f"({len(df) - max_rows} more rows)"
    return t


def summary_table(df: Any, cols: list[str], title: str) -> Table:
    """A rich Table of the columns ``cols`` present in ``df`` (NaN shown as ``-``)."""
    t = Table(title=plain(title), title_justify="left")
    cols = [c for c in cols if c in df.columns]
    for c in cols:
        t.add_column(plain(c), justify="right" if df[c].dtype.kind in "iuf" else "left")
    for _, r in df[cols].iterrows():
        t.add_row(
            *[
                plain(
                    "-"
                    if (isinstance(v, float) and math.isnan(v))
                    else (f"{v:,.6g}" if isinstance(v, float) else v)
                )
                for v in r
            ]
        )
    return t

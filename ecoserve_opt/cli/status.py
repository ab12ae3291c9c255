"""A one-line status for long commands: the phase, the elapsed time and, while HiGHS
solves, its current MIP gap (read from HiGHS's progress lines).

Shown on stderr and only on a terminal (never in pipes, logs or ``--json`` output); it
disappears when the command finishes.
"""

from __future__ import annotations

import logging
import re
import time
from types import TracebackType
from typing import Any

#: A HiGHS branch-and-bound progress line: ``... BestBound BestSol Gap ... Time``.
_GAP_LINE = re.compile(r"\s(?P<gap>\d+(?:\.\d+)?%|inf|Large)\s+(?:\d+\s+){4}[\d.]+s\s*$")


def parse_gap(line: str) -> str | None:
    """The gap column of a HiGHS progress line (``"0.77%"``, ``"inf"``), else None."""
    m = _GAP_LINE.search(line)
    return m.group("gap") if m else None


class _GapHandler(logging.Handler):
    def __init__(self, status: PhaseStatus) -> None:
        super().__init__(level=logging.INFO)
        self.status = status

    def emit(self, record: logging.LogRecord) -> None:
        try:
            for line in record.getMessage().splitlines():
                gap = parse_gap(line)
                if gap is not None:
                    self.status.gap = gap
        except Exception:  # the status line must never break a solve
            pass


class PhaseStatus:
    """``with PhaseStatus(console, enabled) as st: st.phase("building") ...``."""

    def __init__(self, console: Any, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.name = ""
        self.phase_t0 = self.t0
        self.gap: str | None = None
        self._live: Any = None
        self._handler: _GapHandler | None = None

    def __rich__(self) -> str:
        now = time.perf_counter()
        text = f"{self.name}  {now - self.phase_t0:.0f} s"
        if self.name.startswith("solving") and self.gap is not None:
            text += f"  gap {self.gap}"
        return text + f"   (total {now - self.t0:.0f} s)"

    def phase(self, name: str) -> None:
        self.name = name
        self.phase_t0 = time.perf_counter()
        self.gap = None

    def watch_solver(self) -> bool:
        """Read HiGHS's progress lines for the gap; returns True when it did (the caller
        then asks HiGHS for its log, ``tee=True``)."""
        if not self.enabled:
            return False
        lg = logging.getLogger("ecoserve_opt.highs")
        self._handler = _GapHandler(self)
        lg.addHandler(self._handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False
        return True

    def __enter__(self) -> PhaseStatus:
        if self.enabled:
            self._live = self.console.status(self, spinner="dots")
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handler is not None:
            logging.getLogger("ecoserve_opt.highs").removeHandler(self._handler)
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

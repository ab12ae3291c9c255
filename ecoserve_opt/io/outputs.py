"""Output paths: checked before any work, results folders replaced as a unit, safe names.

* :func:`check_output_dir` / :func:`check_output_file` run before a model is built, so a bad
  ``--out`` or ``--save-lp`` costs nothing: an existing file where a folder is wanted, a folder
  inside a file, an unwritable or read-only location, a folder holding someone else's files.
* :func:`replace_dir` swaps a fully written folder in place of the previous one: the new
  results are written aside (``.NAME.new-*`` next to the target) and renamed into place, so a
  crash or a full disk mid-write leaves the previous results as they were.
* :func:`safe_name` turns a scenario name into one path component (no separators, no ``..``),
  so default output folders built from names never leave the working folder.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from ecoserve_opt.exceptions import EcoserveError


class OutputPathError(EcoserveError):
    """An output path cannot be used; the message names the option and the reason."""

    def __init__(self, option: str, path: str | Path, reason: str) -> None:
        self.option = option
        self.reason = reason
        super().__init__(f"{option} {path}: {reason}")


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_name(name: str, default: str = "scenario", max_len: int = 80) -> str:
    """One safe path component made from ``name``.

    Separators, ``..``, control characters and anything outside ``[A-Za-z0-9._+-]`` become
    ``_``; leading dots are dropped (no hidden or parent folders); empty results fall back on
    ``default``.

    >>> safe_name("x/../../../escaped")
    'x_.._.._.._escaped'
    >>> safe_name("..")
    'scenario'
    """
    out = _UNSAFE.sub("_", str(name)).lstrip(".")[:max_len]
    out = out.strip("_") if set(out) <= {"_", "."} else out
    return out if out and out not in (".", "..") else default


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor; OutputPathError if one of them is a file."""
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def _probe_writable(folder: Path, option: str, target: Path) -> None:
    """Create and delete a file in ``folder`` (root ignores permission bits, so test it)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".ecoserve-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputPathError(option, target, f"cannot write in {folder} ({_why(exc)})") from None


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _check_parents(option: str, path: Path) -> Path:
    """Nearest existing ancestor of ``path`` (a folder), or OutputPathError."""
    anc = _first_existing(path.parent)
    if not anc.is_dir():
        raise OutputPathError(option, path, f"{anc} is a file, not a folder")
    return anc


def check_output_dir(
    path: str | Path,
    option: str = "--out",
    owned: Callable[[str], bool] | None = None,
) -> Path:
    """Check that ``path`` can receive a results folder, before any work is done.

    It may be missing (it and its parents are created later), empty, or hold files that
    ``owned(name)`` accepts (a previous run's results, which get replaced). Anything else,
    a file at ``path``, a file among its parents, an unwritable location or the working
    folder itself, raises :class:`OutputPathError` naming ``option``.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputPathError(option, p, "exists and is a file, not a folder")
    resolved = p.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise OutputPathError(option, p, "is the working folder (or contains it); name a subfolder")
    if p.is_dir():
        try:
            names = sorted(os.listdir(p))
        except OSError as exc:
            raise OutputPathError(option, p, f"cannot list the folder ({_why(exc)})") from None
        foreign = [n for n in names if owned is None or not owned(n)]
        if foreign:
            raise OutputPathError(
                option,
                p,
                f"folder holds files this command did not write (e.g. {foreign[0]!r}); "
                "choose a new or empty folder",
            )
        _probe_writable(p, option, p)
        _probe_writable(_check_parents(option, resolved), option, p)
    else:
        _probe_writable(_check_parents(option, p), option, p)
    return p


def check_output_file(path: str | Path, option: str) -> Path:
    """Check that a file can be written at ``path`` (missing parent folders are created
    when it is written), before any work is done."""
    p = Path(path)
    if p.is_dir():
        raise OutputPathError(option, p, "is a folder, not a file")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputPathError(option, p, "file exists and is read-only")
    _probe_writable(_check_parents(option, p), option, p)
    return p


def new_sibling_dir(target: Path) -> Path:
    """A fresh hidden folder next to ``target`` to write new results into."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes 0700; give the usual folder mode
    return tmp


def replace_dir(new: Path, target: Path) -> None:
    """Put the fully written folder ``new`` in place of ``target`` (renames only).

    The old folder is renamed aside first and deleted only after the new one is in place;
    if the second rename fails the old folder is put back.
    """
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def owned_by(names: Iterable[str], suffixes: Iterable[str] = ()) -> Callable[[str], bool]:
    """Predicate: a file name is one of ``names`` or ends with one of ``suffixes``."""
    fixed = set(names)
    ends = tuple(suffixes)
    return lambda n: n in fixed or (bool(ends) and n.endswith(ends))

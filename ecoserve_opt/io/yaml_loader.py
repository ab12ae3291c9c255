"""Load scenario YAML files: ``include:``, named ``overrides:``/``scenarios:`` and dot-paths.

A scenario file is a mapping validated by :class:`ecoserve_opt.schema.scenario.Scenario`
plus three loader keys that never reach the schema:

``include``
    list of YAML files (relative to this file) merged first; this file's keys win.
``overrides``
    named groups of ``dot.path: value`` settings,
    e.g. ``{low_carbon: {grid.region: europe-north1}}``.
``scenarios``
    named combinations of override groups, e.g. ``{clean_big: [low_carbon, big_demand]}``.

``load_scenario(path, scenario="a,b", overrides={"grid.pue": 1.2})`` applies groups left to
right, then the explicit overrides. Keys containing dots (``llama3.2-1b``) are matched whole.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.schema.scenario import Scenario

LOADER_KEYS = ("include", "overrides", "scenarios")
MAX_DEPTH = 64
"""Deepest nesting of mappings/lists accepted in a scenario (real files need about 6)."""


class NestingError(ValueError):
    """YAML nested deeper than :data:`MAX_DEPTH` (or recursive through anchors)."""


def _check_depth(data: Any, limit: int = MAX_DEPTH) -> None:
    """Raise NestingError if ``data`` nests deeper than ``limit`` (iterative, alias-safe).

    Shared nodes (YAML aliases) are revisited only when reached at a greater depth, so an
    alias bomb costs at most ``limit`` visits per distinct node; a recursive structure
    (``&a [*a]``) exceeds any limit and is reported like deep nesting.
    """
    best: dict[int, int] = {}
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if depth >= limit:
            raise NestingError(f"nested more than {limit} levels deep (or recursive)")
        if best.get(id(node), -1) >= depth:
            continue
        best[id(node)] = depth
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children)


def _check_event_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Walk PyYAML's event stream (a state machine, no recursion) and stop at ``limit``."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limit:
                raise NestingError(f"nested more than {limit} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def safe_load_yaml(text: str) -> Any:
    """``yaml.safe_load`` that turns runaway nesting into :class:`NestingError`.

    PyYAML's composer recurses once per level, so thousands of ``[`` would raise
    RecursionError (slowly); the event stream is checked first, linearly. Recursive
    structures built with anchors are caught after loading.
    """
    _check_event_depth(text)
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise NestingError(f"nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(data)
    return data


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    path: Path | None
    raw: dict[str, Any]
    applied: tuple[str, ...] = ()

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the scenario are resolved against."""
        return self.path.parent if self.path is not None else Path.cwd()


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "", f"cannot read file ({exc})") from None
    try:
        data = safe_load_yaml(text)
    except NestingError as exc:
        raise ScenarioError(str(path), "", f"malformed YAML: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(str(path), where, f"malformed YAML: {problem}") from None
    if data is None:
        raise ScenarioError(str(path), "", "file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(
            str(path), "", f"top level must be a mapping, not {type(data).__name__}"
        )
    return data


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Recursively merge ``top`` over ``base`` (mappings merge, everything else replaces)."""
    out = copy.deepcopy(dict(base))
    for k, v in top.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _resolve_includes(path: Path, data: dict[str, Any], seen: tuple[Path, ...]) -> dict[str, Any]:
    includes = data.pop("include", None) or []
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        raise ScenarioError(str(path), "include", "must be a list of file paths")
    merged: dict[str, Any] = {}
    for i, inc in enumerate(includes):
        if not isinstance(inc, str) or not inc.strip() or "\x00" in inc:
            raise ScenarioError(str(path), f"include.{i}", "must be a file path")
        inc_path = (path.parent / inc).resolve()
        if not inc_path.is_file():
            raise ScenarioError(str(path), f"include.{i}", f"included file not found: {inc}")
        if inc_path in seen:
            raise ScenarioError(str(path), f"include.{i}", f"circular include of {inc}")
        inc_data = _read_yaml(inc_path)
        inc_data = _resolve_includes(inc_path, inc_data, (*seen, inc_path))
        merged = deep_merge(merged, inc_data)
    return deep_merge(merged, data)


def _split_path(node: Any, parts: list[str]) -> tuple[str, list[str]]:
    """Longest key prefix of ``parts`` present in ``node`` (so ``llama3.2-1b`` stays whole)."""
    if isinstance(node, dict):
        for j in range(len(parts), 0, -1):
            key = ".".join(parts[:j])
            if key in node:
                return key, parts[j:]
    return parts[0], parts[1:]


def set_dot_path(data: dict[str, Any], dot_path: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``dot_path = "a.b.c"`` (creating mappings)."""
    parts = dot_path.split(".")
    node: Any = data
    while True:
        key, rest = _split_path(node, parts)
        if not rest:
            node[key] = value
            return
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
        parts = rest


def get_dot_path(data: Mapping[str, Any], dot_path: str) -> Any:
    """Read ``data`` at ``dot_path``; ``KeyError`` naming the missing part."""
    parts = dot_path.split(".")
    node: Any = data
    while parts:
        key, parts = _split_path(node, parts)
        if not isinstance(node, Mapping) or key not in node:
            raise KeyError(dot_path)
        node = node[key]
    return node


def parse_override_value(text: str, key: str = "") -> Any:
    """Parse a ``--override key=value`` value as YAML (numbers, lists, strings).

    Text that is not valid YAML is kept as a string; runaway nesting is a ScenarioError
    naming ``--override`` and the key.
    """
    try:
        return safe_load_yaml(text)
    except NestingError as exc:
        raise ScenarioError("--override", key, f"malformed value: {exc}") from None
    except yaml.YAMLError:
        return text


_UNION_TAG = re.compile(
    r"^(?:literal|list|dict|tuple|set|frozenset|function-[a-z]+|constrained-[a-z]+|"
    r"json-or-python|lax-or-strict|nullable|union|tagged-union|chain|is-instance)\[.*\]$"
    r"|^(?:str|int|float|bool|bytes|none)$"
)


def _is_union_tag(part: object) -> bool:
    """Is ``part`` of an error location the name of a union member, not a key?"""
    return isinstance(part, str) and bool(_UNION_TAG.match(part))


def format_validation_error(file: str, exc: ValidationError) -> ScenarioError:
    """Turn pydantic's error into one ScenarioError naming the field path and the reason.

    A field with alternatives (``diurnal: flat | default | [24 numbers]``) gets one error per
    alternative; the one that got deepest into the value says what is wrong with it.
    """
    errs = exc.errors()
    first = errs[0]
    n_other = len(errs) - 1
    tags = [i for i, p in enumerate(first["loc"]) if _is_union_tag(p)]
    if tags:
        i = tags[0]
        prefix = tuple(first["loc"][:i])
        siblings = [
            e
            for e in errs
            if tuple(e["loc"][:i]) == prefix and len(e["loc"]) > i and _is_union_tag(e["loc"][i])
        ]
        first = max(siblings, key=lambda e: len(e["loc"]))
        n_other = len(errs) - len(siblings)
    loc = ".".join(str(p) for p in first["loc"] if not _is_union_tag(p))
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (not allowed here)"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif first["type"] == "missing":
        msg = "required field is missing"
    more = f" (and {n_other} more error(s))" if n_other > 0 else ""
    return ScenarioError(file, loc, msg + more)


def _check_dot_path(file: str, key: str, where: str | None = None) -> None:
    """A dot path deeper than the scenario can be is an error (and would be slow to apply)."""
    if key.count(".") >= MAX_DEPTH:
        shown = key if len(key) <= 60 else key[:57] + "..."
        raise ScenarioError(
            file, where or shown, f"dot path has more than {MAX_DEPTH} parts (nested too deeply)"
        )


def apply_overrides(
    file: str,
    data: dict[str, Any],
    scenario: str | None,
    overrides: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Apply named override groups (``scenario="a,b"``) and explicit dot-path overrides."""
    groups = data.pop("overrides", None) or {}
    named = data.pop("scenarios", None) or {}
    applied: list[str] = []
    names: list[str] = []
    for item in (scenario or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item in named:
            combo = named[item]
            names.extend([c.strip() for c in combo.split(",")] if isinstance(combo, str) else combo)
        else:
            names.append(item)
    for name in names:
        if name not in groups:
            known = ", ".join(sorted([*groups, *named])) or "none defined"
            raise ScenarioError(file, f"overrides.{name}", f"no such override group ({known})")
        group = groups[name]
        if not isinstance(group, dict):
            raise ScenarioError(file, f"overrides.{name}", "must be a mapping of dot.path: value")
        for k, v in group.items():
            _check_dot_path(file, str(k), f"overrides.{name}")
            set_dot_path(data, k, copy.deepcopy(v))
        applied.append(name)
    for k, v in (overrides or {}).items():
        _check_dot_path(file, str(k))
        set_dot_path(data, k, v)
        applied.append(f"{k}={v}")
    return data, tuple(applied)


def load_scenario(
    path: str | Path,
    scenario: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedScenario:
    """Read, merge and validate a scenario file; errors name file, field path and reason.

    ``path`` may also name a bundled scenario (``"default"``, see
    :func:`ecoserve_opt.paths.bundled_scenarios`) when no such file exists."""
    from ecoserve_opt.paths import bundled_scenarios, resolve_scenario

    path = resolve_scenario(path)
    if not path.exists():
        names = ", ".join(bundled_scenarios()) or "none"
        raise ScenarioError(str(path), "", f"file not found (bundled scenarios by name: {names})")
    data = _read_yaml(path)
    data = _resolve_includes(path.resolve(), data, (path.resolve(),))
    data, applied = apply_overrides(str(path), data, scenario, overrides)
    return validate_dict(data, file=str(path), path=path, applied=applied)


def validate_dict(
    data: dict[str, Any],
    file: str = "<scenario>",
    path: Path | None = None,
    applied: tuple[str, ...] = (),
) -> LoadedScenario:
    """Validate an already-merged scenario mapping."""
    clean = {k: v for k, v in data.items() if k not in LOADER_KEYS}
    try:
        _check_depth(clean)
    except NestingError as exc:
        raise ScenarioError(file, "", str(exc)) from None
    try:
        scen = Scenario.model_validate(clean)
    except ValidationError as exc:
        raise format_validation_error(file, exc) from None
    return LoadedScenario(scenario=scen, path=path, raw=clean, applied=applied)

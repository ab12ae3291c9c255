"""Class 6: deep or recursive YAML nesting is a clean error, not a RecursionError."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoserve_opt.cli import app
from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.io.yaml_loader import MAX_DEPTH, load_scenario, safe_load_yaml

runner = CliRunner()


def _block_mapping(depth: int) -> str:
    lines = ["a:"] + ["  " * (i + 1) + "b:" for i in range(depth)]
    return "\n".join(lines) + "\n" + "  " * (depth + 1) + "1\n"


DEEP_DOCS = {
    "open_brackets": "a: " + "[" * 5000,
    "balanced_brackets": "a: " + "[" * 3000 + "]" * 3000,
    "flow_mappings": "a: " + "{x: " * 3000 + "1" + "}" * 3000,
    "block_mappings": _block_mapping(2000),
    "just_over_limit": "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    "recursive_alias": "a: &x [*x]\nname: y\n",
}


@pytest.mark.parametrize("doc", list(DEEP_DOCS.values()), ids=list(DEEP_DOCS))
def test_deep_file_is_a_clean_error(tmp_path: Path, doc: str) -> None:
    p = tmp_path / "deep.yaml"
    p.write_text(doc)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert exc.value.file == str(p)
    assert exc.value.reason.startswith(f"malformed YAML: nested more than {MAX_DEPTH} levels")
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.output


def test_nesting_within_limit_parses() -> None:
    depth = MAX_DEPTH - 2
    data = safe_load_yaml("a: " + "[" * depth + "1" + "]" * depth)
    node = data["a"]
    for _ in range(depth - 1):
        node = node[0]
    assert node == [1]


def test_alias_bomb_is_fast_and_not_too_deep() -> None:
    """Shared nodes are not re-walked: a billion-laughs document is checked quickly."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    data = safe_load_yaml("\n".join(lines))
    assert len(data["l8"]) == 9


def test_deep_override_value_names_the_option(tiny_path: Path) -> None:
    r = runner.invoke(app, ["validate", str(tiny_path), "-o", "name=" + "[" * 4000])
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"error: --override: name: malformed value: nested more than {MAX_DEPTH} levels deep"
    )


def test_deep_dot_path_override(tiny_path: Path) -> None:
    key = ".".join(["a"] * 3000)
    r = runner.invoke(app, ["validate", str(tiny_path), "-o", f"{key}=1"])
    assert r.exit_code == 2
    assert "dot path has more than 64 parts (nested too deeply)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_deep_nesting_in_included_file(tmp_path: Path) -> None:
    (tmp_path / "inc.yaml").write_text("x: " + "[" * 3000)
    p = tmp_path / "s.yaml"
    p.write_text("include: [inc.yaml]\nname: n\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert exc.value.file == str((tmp_path / "inc.yaml").resolve())


@pytest.mark.parametrize("inc", ["'\\x00'", "'a\\x00b.yaml'", "''"])
def test_include_of_a_null_byte_or_empty_path_is_a_clean_error(tmp_path: Path, inc: str) -> None:
    # Found by the loader fuzz test: a NUL byte in an include path crashed with
    # "ValueError: embedded null byte" from the file system call.
    p = tmp_path / "s.yaml"
    p.write_text(f'include: ["{inc[1:-1]}"]\nname: n\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert exc.value.path == "include.0"
    assert "must be a file path" in str(exc.value)

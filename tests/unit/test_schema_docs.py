"""The scenario schema's field docstrings reach the JSON schema without pydantic reading
them at class creation (issue 20, fixed costs): ``Scenario.model_json_schema()`` equals,
key for key, the schema pydantic builds with ``use_attribute_docstrings=True``."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pydantic

import ecoserve_opt.schema.scenario as scenario_module
from ecoserve_opt.schema.docs import add_field_docs, attribute_docstrings
from ecoserve_opt.schema.scenario import Scenario

FLAG = 'extra="forbid", frozen=True, allow_inf_nan=False'


class Probe(pydantic.BaseModel):
    name: str
    """Line one.
        a
          b"""
    other: int = pydantic.Field(0, description="given")
    """ignored: the field has its own description"""
    plain: int = 0


def _reference_schema(tmp_path: Path) -> dict[str, object]:
    """The schema module as it was (``use_attribute_docstrings=True``), loaded from a copy
    under another name; its JSON schema from pydantic alone (our override bypassed)."""
    source = Path(scenario_module.__file__).read_text(encoding="utf-8")
    assert source.count(FLAG) == 1
    copy = tmp_path / "scenario_with_docstrings.py"
    copy.write_text(source.replace(FLAG, FLAG + ", use_attribute_docstrings=True"))
    name = "_ecoserve_schema_reference"
    spec = importlib.util.spec_from_file_location(name, copy)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        ref_cls = module.Scenario
        assert ref_cls.model_fields["catalog"].description  # pydantic read the docstrings
        return pydantic.BaseModel.model_json_schema.__func__(ref_cls)  # type: ignore[attr-defined,no-any-return]
    finally:
        del sys.modules[name]


def test_json_schema_equals_pydantic_attribute_docstrings(tmp_path: Path) -> None:
    ours = Scenario.model_json_schema()
    ref = _reference_schema(tmp_path)
    assert json.dumps(ours, indent=2) == json.dumps(ref, indent=2)
    assert json.dumps(ours).count('"description"') > 80


def test_docstrings_not_read_at_class_creation() -> None:
    """The runtime models carry no field descriptions: nothing was extracted on import."""
    assert Scenario.model_fields["catalog"].description is None
    assert not any(f.description for f in Scenario.model_fields.values()), (
        "a field description was set at class creation"
    )


def test_attribute_docstrings_rules() -> None:
    """Only a string right after an annotated field counts (pydantic's rule)."""
    docs = attribute_docstrings("ecoserve_opt.schema.scenario")
    assert docs["Scenario"]["catalog"].startswith("Catalog folder")
    assert "name" not in docs["Scenario"]
    assert "model_config" not in docs["_Strict"]
    schema = {
        "properties": {
            "name": {"title": "Name", "type": "string"},
            "other": {"default": 0, "description": "given", "title": "Other", "type": "integer"},
        }
    }
    add_field_docs(schema, Probe)
    assert list(schema["properties"]["name"]) == ["description", "title", "type"]
    assert schema["properties"]["name"]["description"] == "Line one.\na\n  b"
    assert schema["properties"]["other"]["description"] == "given"
    assert attribute_docstrings(__name__)["Probe"] == {
        "name": "Line one.\na\n  b",
        "other": "ignored: the field has its own description",
    }

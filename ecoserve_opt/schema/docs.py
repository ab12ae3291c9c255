"""Field docstrings of the scenario schema, read from its source when a JSON schema is made.

The field documentation of :mod:`ecoserve_opt.schema.scenario` is written as attribute
docstrings (a string right after the annotated field). Pydantic's
``use_attribute_docstrings`` reads them while every model class is created, by walking the
import's frames and matching modules (:func:`inspect.getmodule`): about a third of the
schema's import time, paid by every ``ecoserve`` command that loads a scenario although only
the JSON schema (``ecoserve schema``) shows them. So the schema does not ask for them at
class creation; :meth:`~ecoserve_opt.schema.scenario._Strict.model_json_schema` adds them
here, with pydantic's rules (the docstring of a field defined in that class, cleaned by
:func:`inspect.cleandoc`, unless the field has its own ``description``; keys sorted as
pydantic sorts them), so the JSON schema is the one ``use_attribute_docstrings`` gives
(``tests/unit/test_schema_docs.py`` compares the two).
"""

from __future__ import annotations

import ast
import inspect
import sys
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=8)
def attribute_docstrings(module: str) -> dict[str, dict[str, str]]:
    """``{class name: {field: docstring}}`` for the top-level classes of ``module``."""
    source = inspect.getsource(sys.modules[module])
    out: dict[str, dict[str, str]] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs: dict[str, str] = {}
        body = node.body
        for stmt, nxt in zip(body, body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[stmt.target.id] = inspect.cleandoc(nxt.value.value)
        out[node.name] = docs
    return out


def add_field_docs(schema: dict[str, Any], model: type[Any]) -> dict[str, Any]:
    """``schema`` (of ``model``) with each model's field docstrings as the ``description``
    of its properties (in place; returned)."""
    classes: dict[str, type[Any]] = {}

    def collect(cls: type[Any]) -> None:
        if cls.__name__ in classes:
            return
        classes[cls.__name__] = cls
        for info in cls.model_fields.values():
            for sub in _models_in(info.annotation):
                collect(sub)

    collect(model)
    defs = schema.get("$defs", {})
    for name, cls in classes.items():
        target = schema if cls is model else defs.get(name)
        if target is None:
            continue
        docs = attribute_docstrings(cls.__module__).get(cls.__qualname__, {})
        props = target.get("properties", {})
        for field, info in cls.model_fields.items():
            doc = docs.get(field)
            key = info.alias or field
            if doc is None or info.description is not None or key not in props:
                continue
            prop = dict(props[key])
            prop["description"] = doc
            props[key] = {k: prop[k] for k in sorted(prop)}
    return schema


def _models_in(annotation: Any) -> list[type[Any]]:
    """The pydantic model classes inside a field annotation (``X | None``, ``dict[str, X]``,
    ``list[X]``, ``Annotated[X, ...]``)."""
    from pydantic import BaseModel

    found: list[type[Any]] = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
        stack.extend(getattr(a, "__args__", ()) or ())
        origin = getattr(a, "__origin__", None)
        if origin is not None and origin is not a:
            stack.append(origin)
    return found

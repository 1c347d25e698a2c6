"""Fixtures for the LLM-native layer: a memory provider and JSON examples drawn from a schema.

``examples_from(schema)`` builds a Hypothesis strategy from a JSON Schema. Leaves (strings with
patterns and formats, numbers with bounds) come from ``hypothesis_jsonschema.from_schema``; objects,
arrays and ``anyOf``/``oneOf`` are composed here, because hypothesis-jsonschema 0.23.1's object
strategy calls ``many.more()``, which Hypothesis 6.170 no longer has. Free-form objects
(``extras``: ``additionalProperties: true``) are drawn empty: their keys are driver-specific.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import strategies as st

from cloudcore.testing.memory.target import memory_target


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """hypothesis-jsonschema's strategy, imported late (it builds strategies at import)."""
    from hypothesis_jsonschema import from_schema as leaf

    return leaf(schema)


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = {k: examples_from(v) for k, v in props.items() if k in required}
    optional = {k: examples_from(v) for k, v in props.items() if k not in required}
    base = st.fixed_dictionaries(fixed, optional=optional)
    extra = schema.get("additionalProperties", False)
    if not isinstance(extra, dict) or not extra:
        return base
    names = schema.get("propertyNames", {"type": "string", "minLength": 1})
    keys = from_schema({"type": "string", **names}).filter(lambda k: k not in props)
    more = st.dictionaries(keys, examples_from(extra), max_size=3)
    return st.tuples(base, more).map(lambda pair: {**pair[1], **pair[0]})


def _narrow(base: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    """``base`` with a branch's extra requirements: required keys that are not null."""
    props = dict(base.get("properties", {}))
    for name, extra in branch.get("properties", {}).items():
        options = props[name].get("anyOf", [props[name]])
        kept = [dict(o) for o in options if o.get("type") != "null"]
        for option in kept:
            option.update({k: v for k, v in extra.items() if k != "type"})
        props[name] = {"anyOf": kept}
    required = sorted({*base.get("required", []), *branch.get("required", [])})
    return {**base, "properties": props, "required": required}


def _array(schema: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    low = int(schema.get("minItems", 0))
    high = int(schema.get("maxItems", low + 3))
    items = examples_from(schema.get("items", {"type": "string"}))
    unique = bool(schema.get("uniqueItems", False))
    return st.lists(items, min_size=low, max_size=min(high, low + 3), unique=unique)


def examples_from(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy of JSON values that ``schema`` accepts."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema and "properties" in schema:  # an object with alternative requirements
            base = {k: v for k, v in schema.items() if k != key}
            return st.one_of([_object(_narrow(base, branch)) for branch in schema[key]])
        if key in schema:
            return st.one_of([examples_from(branch) for branch in schema[key]])
    kind = schema.get("type")
    if kind == "object" or (kind is None and "properties" in schema):
        return _object(schema)
    if kind == "array":
        return _array(schema)
    return from_schema(schema)


@pytest.fixture
def examples() -> Callable[[dict[str, Any]], st.SearchStrategy[Any]]:
    """``examples(schema)``: JSON values the schema accepts."""
    return examples_from


@pytest.fixture
def memory() -> Iterator[Any]:
    """A fresh memory provider (zones example.com and example.org)."""
    with memory_target() as provider:
        yield provider

"""Every generated tool, called with examples drawn from its own schema, reaches the provider.

How this is asserted honestly: each example is a JSON value the tool's parameter schema accepts
(checked with ``jsonschema`` before the call). The call then must not fail with a
``ConfigurationError`` that is a *schema* mismatch: a type, shape, pattern or bound the schema
allowed but the provider refused. The only ``ConfigurationError`` allowed is a cross-field rule
a JSON Schema here does not express, each listed in ``cloudcore.llm.schemas.SEMANTIC_RULES`` and
matched by its message (for argument validation, also only pydantic ``value_error``s, the type
custom validators raise). Provider answers such as ``NotFound`` or ``AlreadyExists`` are fine:
they mean the call reached the provider. Each tool must reach the provider at least once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

import cloudcore
from cloudcore.llm.manifest import ToolResult, call_tool, list_tools
from cloudcore.llm.schemas import SEMANTIC_RULES
from cloudcore.testing.memory.target import memory_target

ALL_TOOLS = [
    t.name
    for t in list_tools(cloudcore.connect("memory"), allow_writes=True, allow_secret_values=True)
]


def schema_mismatch(result: ToolResult) -> str | None:
    """Why ``result`` shows the schema and the provider disagree, or ``None``."""
    if result.ok or result.error is None:
        return None
    kind, message = result.error["kind"], result.error["message"]
    if kind == "Unsupported":
        return f"Unsupported on a provider declaring everything: {message}"
    if kind != "ConfigurationError":
        return None
    semantic = any(fragment in message for fragment in SEMANTIC_RULES)
    types = {e["type"] for e in result.error.get("errors", [])}
    if types - {"value_error"}:
        return f"argument validation disagrees with the schema: {message}"
    if not semantic:
        return f"the provider rejected a value the schema allows: {message}"
    return None


@pytest.mark.parametrize("tool", ALL_TOOLS)
def test_examples_from_the_schema_reach_the_provider(
    tool: str, examples: Callable[[dict[str, Any]], st.SearchStrategy[Any]]
) -> None:
    with memory_target() as provider:
        (spec,) = [
            t
            for t in list_tools(provider, allow_writes=True, allow_secret_values=True)
            if t.name == tool
        ]
        validator = Draft202012Validator(spec.parameters, format_checker=FormatChecker())
        reached: list[str] = []
        problems: list[str] = []

        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(examples(spec.parameters))
        def run(arguments: dict[str, Any]) -> None:
            validator.validate(arguments)  # the example really is one the schema accepts
            result = call_tool(
                provider, tool, arguments, allow_writes=True, allow_secret_values=True
            )
            problem = schema_mismatch(result)
            if problem:
                problems.append(f"{arguments!r}: {problem}")
            if result.ok or (result.error and result.error["kind"] != "ConfigurationError"):
                reached.append(result.error["kind"] if result.error else "ok")

        run()
        assert not problems, "\n".join(problems[:5])
        assert reached, f"no example of {tool} reached the provider"

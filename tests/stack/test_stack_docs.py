"""The published stack schema, the example stacks and the diagrams in docs/stacks.md stay current.

Regenerate after a change: ``CLOUDCORE_UPDATE_DOCS=1 pytest tests/stack/test_stack_docs.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from cloudcore.stack import load_stack
from cloudcore.stack.graph import build_graph, to_dot, to_mermaid
from cloudcore.stack.schema import stack_json_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "stacks").glob("*.yaml"))
DOC = ROOT / "docs" / "stacks.md"
SCHEMA = ROOT / "docs" / "stack.schema.json"
UPDATE = os.environ.get("CLOUDCORE_UPDATE_DOCS") == "1"
MARK = "<!-- diagrams: generated from examples/stacks by tests/stack/test_stack_docs.py -->"


def _diagrams() -> str:
    parts = [MARK]
    for path in EXAMPLES:
        stack = load_stack(path)
        parts.append(f"\n### {stack.name} (`examples/stacks/{path.name}`)\n")
        parts.append("```mermaid\n" + to_mermaid(build_graph(stack)) + "```\n")
    return "".join(parts)


def test_five_reference_stacks_exist() -> None:
    names = {p.stem for p in EXAMPLES}
    assert names == {"vertz", "vertical-vibing", "universal-ai-foundry", "valuecanvas", "elevaite"}


def test_published_schema_is_current_and_validates_the_examples() -> None:
    schema = stack_json_schema()
    if UPDATE:
        SCHEMA.write_text(json.dumps(schema, indent=2) + "\n")
    assert json.loads(SCHEMA.read_text()) == schema, "regenerate docs/stack.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in EXAMPLES:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, (path.name, errors)
    bad = {"name": "x", "databases": {"main": {"storage_gb": 0}}, "surprise": 1}
    assert len(list(validator.iter_errors(bad))) == 2


def test_docs_show_every_reference_stack_as_a_current_diagram() -> None:
    text = DOC.read_text()
    assert MARK in text
    head = text[: text.index(MARK)]
    if UPDATE:
        DOC.write_text(head + _diagrams())
        text = DOC.read_text()
    assert text[text.index(MARK) :] == _diagrams(), "regenerate the diagrams in docs/stacks.md"


def test_graph_text_formats_name_every_resource_and_reference() -> None:
    stack = load_stack(ROOT / "examples" / "stacks" / "elevaite.yaml")
    graph = build_graph(stack, {"default": "aws", "dns": "cloudflare"})
    mermaid = to_mermaid(graph)
    assert 'subgraph p_cloudflare["cloudflare"]' in mermaid
    assert "services_worker -->|url, password_secret| databases_elevaite" in mermaid
    dot = to_dot(graph)
    assert re.search(r"services_worker -> databases_elevaite \[label=\"url, password_secret\"", dot)
    assert dot.count("subgraph cluster_") == 2


@pytest.mark.skipif(
    shutil.which("dot") is None and os.environ.get("CI") != "true", reason="Graphviz not installed"
)
def test_graph_draws_an_svg() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cloudcore", "graph", str(EXAMPLES[0]), "--format", "svg"],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert out.stdout.lstrip().startswith(b"<?xml") and b"<svg" in out.stdout

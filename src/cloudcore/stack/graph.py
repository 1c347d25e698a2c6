"""Pictures of a stack: resources grouped by the provider that runs them, references as edges,
DNS and WAF in front. As Mermaid text (renders on GitHub and in most docs tools), as Graphviz DOT,
and as SVG or PNG through the ``graphviz`` binding and Graphviz's ``dot`` (extra ``graph``,
Debian package ``graphviz``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import CloudcoreError
from .model import KINDS, Stack
from .plan import CAPABILITY_OF

__all__ = ["Graph", "build_graph", "render", "to_dot", "to_mermaid"]

_LABEL = {
    "secrets": "secret",
    "databases": "postgres",
    "caches": "redis",
    "buckets": "bucket",
    "services": "service",
    "dns": "zone",
    "waf": "waf",
}
_SHAPE_MERMAID = {
    "databases": ("[(", ")]"),
    "caches": ("[(", ")]"),
    "buckets": ("[/", "/]"),
    "secrets": ("{{", "}}"),
    "services": ("[", "]"),
    "dns": ("([", "])"),
    "waf": ("[[", "]]"),
}
_SHAPE_DOT = {
    "databases": "cylinder",
    "caches": "cylinder",
    "buckets": "folder",
    "secrets": "hexagon",
    "services": "box",
    "dns": "oval",
    "waf": "octagon",
}


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    name: str
    provider: str


@dataclass(frozen=True)
class Graph:
    """Nodes grouped by provider and edges ``(from, to, label)`` (from depends on to)."""

    stack: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str, str], ...]


def _node_id(kind: str, name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{kind}_{name}")


def _provider_of(stack: Stack, kind: str, routing: Mapping[str, str] | None) -> str:
    routes = dict(routing or stack.providers)
    cap = CAPABILITY_OF[kind].value
    return routes.get(cap) or routes.get("default") or "provider"


def build_graph(stack: Stack, routing: Mapping[str, str] | None = None) -> Graph:
    """The stack as a graph; ``routing`` (capability to driver) overrides the stack's own."""
    nodes: list[Node] = []
    edges: dict[tuple[str, str, str], None] = {}
    for kind in KINDS:
        for name in stack.entries(kind):
            nid = _node_id(kind, name)
            nodes.append(Node(nid, kind, name, _provider_of(stack, kind, routing)))
            for ref in stack.refs(kind, name):
                edges[(nid, _node_id(ref.kind, ref.name), ref.attr)] = None
    # WAF protects the services behind it.
    for target in stack.entries("waf"):
        for svc in stack.entries("services"):
            edges[(_node_id("waf", target), _node_id("services", svc), "protects")] = None
    # One edge per pair of resources, naming every output used.
    merged: dict[tuple[str, str], list[str]] = {}
    for src, dst, label in edges:
        merged.setdefault((src, dst), []).append(label)
    return Graph(
        stack.name,
        tuple(nodes),
        tuple((s, d, ", ".join(labels)) for (s, d), labels in merged.items()),
    )


def _groups(graph: Graph) -> dict[str, list[Node]]:
    out: dict[str, list[Node]] = {}
    for node in graph.nodes:
        out.setdefault(node.provider, []).append(node)
    return out


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(graph: Graph) -> str:
    """Mermaid ``flowchart`` text."""
    lines = ["flowchart LR"]
    for provider, nodes in _groups(graph).items():
        lines.append(f'  subgraph {_node_id("p", provider)}["{_mermaid_text(provider)}"]')
        for n in nodes:
            left, right = _SHAPE_MERMAID[n.kind]
            lines.append(f'    {n.id}{left}"{_LABEL[n.kind]}: {_mermaid_text(n.name)}"{right}')
        lines.append("  end")
    for src, dst, label in graph.edges:
        lines.append(f"  {src} -->|{label}| {dst}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(graph: Graph) -> str:
    """Graphviz DOT text."""
    lines = [
        f'digraph "{_dot_text(graph.stack)}" {{',
        "  rankdir=LR;",
        '  node [fontname="Helvetica"];',
    ]
    for i, (provider, nodes) in enumerate(_groups(graph).items()):
        lines.append(f'  subgraph cluster_{i} {{ label="{_dot_text(provider)}"; style=rounded;')
        for n in nodes:
            label = _dot_text(f"{_LABEL[n.kind]}: {n.name}")
            lines.append(f'    {n.id} [label="{label}", shape={_SHAPE_DOT[n.kind]}];')
        lines.append("  }")
    for src, dst, label in graph.edges:
        lines.append(f'  {src} -> {dst} [label="{_dot_text(label)}", fontsize=9];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(graph: Graph, fmt: str) -> bytes:
    """The picture as ``svg`` or ``png`` bytes (needs the ``graphviz`` binding and ``dot``)."""
    try:
        import graphviz
    except ImportError:
        raise CloudcoreError(
            "drawing SVG/PNG needs the graphviz binding: pip install 'cloudcore[graph]' "
            "(and Graphviz itself: apt-get install graphviz)"
        ) from None
    try:
        data = graphviz.Source(to_dot(graph)).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise CloudcoreError(
            "drawing SVG/PNG needs Graphviz's dot program: apt-get install graphviz"
        ) from None
    return bytes(data)

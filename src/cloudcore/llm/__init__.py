"""The LLM-native layer: what agents read and call.

- :mod:`.schemas`: JSON Schemas of every resource type and of each operation's parameters,
  filtered by what a provider declares, with hints (read-only, destructive, idempotent).
- :mod:`.manifest`: tool manifests built from those schemas (``/.well-known/ai-tools.json``
  shape, OpenAI and Anthropic tool formats) and :func:`~.manifest.call_tool` to run a tool call.
- :mod:`.wellknown`: WSGI/ASGI middleware serving ``/.well-known/ai-tools.json``.
- :mod:`.mcp`: the MCP server (``cloudcore mcp``), read-only unless writes are allowed.

Nothing here is imported by ``import cloudcore``; import the submodule you need.
"""

__all__: list[str] = []

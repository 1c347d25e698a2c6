"""An MCP server for a cloudcore provider, on the official ``mcp`` SDK (extra ``[mcp]``).

Tools are the provider's supported operations (:func:`cloudcore.llm.manifest.list_tools`), annotated
with ``readOnlyHint`` / ``destructiveHint`` / ``idempotentHint``. Safety defaults:

* **read-only**: write tools are not listed, and calling one anyway fails, unless the server is
  started with ``allow_writes=True`` (``cloudcore mcp --allow-writes``);
* **no secret values**: ``get_secret`` is not listed (and refuses) unless
  ``allow_secret_values=True`` (``--allow-secret-values``); no other tool returns a value.

A failing call is a tool error (``isError: true``) whose text starts with the cloudcore error
kind (``NotFound: ...``) and whose structured content is ``{"error": {"kind", "message",
"retryable"}}``, so an agent can correct itself; protocol errors are left for unknown methods.

Resources are for discovery: every resource cloudcore manages (URI = its cloudcore id,
``cloudcore:memory::service/api``; reading it returns ``{"resource", "schema"}``), one schema per
resource type the provider can hold (``type:service``), and the tool manifest
(``cloudcore:manifest``, the ``/.well-known/ai-tools.json`` document).

``mcp`` is imported only when a server is built; without it, :class:`MCPNotInstalled` says
``pip install 'cloudcore[mcp]'``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from ..errors import CloudcoreError, DriverNotInstalled, NotFound
from ..models import ResourceType, parse_resource_id
from .manifest import ToolResult, call_tool, list_tools, manifest, to_json
from .schemas import applicable_types, resource_schema, type_schema

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

    from ..protocol import CloudProvider

__all__ = [
    "MANIFEST_URI",
    "PAGE_SIZE",
    "MCPNotInstalled",
    "build_server",
    "read_resource",
    "run_stdio",
]

MANIFEST_URI = "cloudcore:manifest"
"""URI of the MCP resource holding the tool manifest."""

PAGE_SIZE = 200
"""Resources per ``resources/list`` page (the cursor names a listing snapshot and an offset)."""


class MCPNotInstalled(DriverNotInstalled):
    """The ``mcp`` package is missing; the message names ``pip install 'cloudcore[mcp]'``."""

    def __init__(self, missing: str | None = "mcp") -> None:
        super().__init__("mcp", "mcp", missing)
        self.message = (
            "the MCP server needs the 'mcp' package, which is not installed; "
            "install it with: pip install 'cloudcore[mcp]'"
        )


def _require_mcp() -> None:
    try:
        import mcp.server.lowlevel  # noqa: F401
    except ImportError as exc:
        raise MCPNotInstalled(exc.name) from exc


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def read_resource(provider: CloudProvider, uri: str, *, allow_writes: bool = False) -> Any:
    """The JSON an MCP client gets when it reads ``uri`` (see the module docs).

    Raises:
        NotFound: no such resource.
    """
    if uri == MANIFEST_URI:
        return manifest(provider, allow_writes=allow_writes)
    if uri.startswith("type:"):
        try:
            rtype = ResourceType(uri[5:])
        except ValueError:
            raise NotFound(f"no resource type {uri[5:]!r}") from None
        return type_schema(provider, rtype).model_dump(mode="json")
    try:
        _, _, rtype, _ = parse_resource_id(uri)
    except ValueError as exc:
        raise NotFound(str(exc)) from None
    for res in provider.list_resources(rtype):
        if res.id == uri:
            return {
                "resource": res.model_dump(mode="json"),
                "schema": resource_schema(provider, res).model_dump(mode="json"),
            }
    raise NotFound(f"no {rtype.value} with id {uri!r}", resource=uri)


class _Snapshots:
    """Listings being paged through: the first page lists everything once, later pages slice
    that listing (a cursor is ``<snapshot>:<offset>``), so paging through N resources costs O(N),
    not one full listing per page. A few snapshots are kept, each for at most five minutes."""

    KEEP = 8
    TTL = 300.0

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def add(self, items: list[dict[str, Any]]) -> str:
        snapshot = secrets.token_hex(8)
        with self._lock:
            now = time.monotonic()
            for key in [k for k, (t, _) in self._items.items() if now - t > self.TTL]:
                del self._items[key]
            while len(self._items) >= self.KEEP:
                del self._items[next(iter(self._items))]
            self._items[snapshot] = (now, items)
        return snapshot

    def get(self, cursor: str | None) -> tuple[str, list[dict[str, Any]], int] | None:
        if not cursor or ":" not in cursor:
            return None
        snapshot, _, offset = cursor.partition(":")
        with self._lock:
            entry = self._items.get(snapshot)
        if entry is None or not offset.isdigit() or time.monotonic() - entry[0] > self.TTL:
            return None
        return snapshot, entry[1], int(offset)


def _listing(provider: CloudProvider) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "uri": MANIFEST_URI,
            "name": "manifest",
            "description": "The tool manifest (/.well-known/ai-tools.json document)",
        }
    ]
    for rtype in applicable_types(provider):
        out.append(
            {
                "uri": f"type:{rtype.value}",
                "name": f"schema of {rtype.value}",
                "description": f"JSON Schemas and operations of a {rtype.value} on {provider.name}",
            }
        )
    if provider.supports("discovery"):
        for res in provider.list_resources():
            out.append(
                {
                    "uri": res.id,
                    "name": res.name,
                    "description": f"{res.type.value} {res.name!r} ({res.state}) on {res.provider}",
                }
            )
    return out


def _tool_result(result: ToolResult) -> Any:
    import mcp_types as types

    if result.ok:
        text = _dumps(result.data)
        structured = {"result": result.data}
        return types.CallToolResult(
            content=[types.TextContent(text=text)], structured_content=structured
        )
    err = result.error or {}
    text = f"{err.get('kind', 'Error')}: {err.get('message', '')}"
    return types.CallToolResult(
        content=[types.TextContent(text=text)],
        structured_content={"error": err},
        is_error=True,
    )


def build_server(
    provider: CloudProvider,
    *,
    allow_writes: bool = False,
    allow_secret_values: bool = False,
) -> Server[Any]:
    """An MCP ``Server`` (low-level API) exposing ``provider``.

    Args:
        provider: A connected provider; the caller closes it.
        allow_writes: List and allow tools that change anything.
        allow_secret_values: List and allow ``get_secret``.

    Raises:
        MCPNotInstalled: the ``mcp`` package is missing.
    """
    _require_mcp()
    import anyio.to_thread
    import mcp_types as types
    from mcp.server.lowlevel import Server

    from .. import __version__

    flags = {"allow_writes": allow_writes, "allow_secret_values": allow_secret_values}
    found = list_tools(provider, **flags)
    mcp_tools = [
        types.Tool(
            name=t.name,
            title=t.annotations["title"],
            description=t.description,
            input_schema=t.parameters,
            annotations=types.ToolAnnotations(
                title=t.annotations["title"],
                read_only_hint=t.annotations["readOnlyHint"],
                destructive_hint=t.annotations["destructiveHint"],
                idempotent_hint=t.annotations["idempotentHint"],
                open_world_hint=True,
            ),
        )
        for t in found
    ]

    async def on_list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=mcp_tools)

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> Any:
        run = partial(call_tool, provider, params.name, params.arguments or {}, **flags)
        result = await anyio.to_thread.run_sync(run)
        return _tool_result(result)

    snapshots = _Snapshots()

    async def on_list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        cursor = getattr(params, "cursor", None) if params is not None else None
        found = snapshots.get(cursor)
        if found is None and cursor:
            from mcp.shared.exceptions import MCPError

            raise MCPError(
                code=-32602, message="invalid or expired cursor: list again from the start"
            )
        if found is None:
            items = await anyio.to_thread.run_sync(partial(_listing, provider))
            snapshot, start = snapshots.add(items), 0
        else:
            snapshot, items, start = found
        page = items[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(items)
        return types.ListResourcesResult(
            resources=[types.Resource(mime_type="application/json", **item) for item in page],
            next_cursor=f"{snapshot}:{start + PAGE_SIZE}" if more else None,
        )

    async def on_read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> Any:
        def read() -> str:
            return _dumps(to_json(read_resource(provider, params.uri, allow_writes=allow_writes)))

        try:
            text = await anyio.to_thread.run_sync(read)
        except CloudcoreError as exc:
            from mcp.shared.exceptions import MCPError

            data = {"kind": exc.kind, "message": str(exc)}
            raise MCPError(code=-32602, message=f"{exc.kind}: {exc}", data=data) from None
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(uri=params.uri, mime_type="application/json", text=text)
            ]
        )

    mode = "read-write" if allow_writes else "read-only"
    return Server(
        "cloudcore",
        version=__version__,
        instructions=(
            f"cloudcore on {provider.name} ({mode}; secret values "
            + ("returned by get_secret" if allow_secret_values else "never returned")
            + "). Read the 'type:<resource type>' resources for schemas; tools carry "
            "readOnly/destructive/idempotent hints. Errors start with their cloudcore kind."
        ),
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        on_list_resources=on_list_resources,
        on_read_resource=on_read_resource,
    )


def run_stdio(
    provider: CloudProvider,
    *,
    allow_writes: bool = False,
    allow_secret_values: bool = False,
) -> None:
    """Serve ``provider`` over stdio until the client disconnects."""
    server = build_server(
        provider, allow_writes=allow_writes, allow_secret_values=allow_secret_values
    )
    import anyio
    from mcp.server.stdio import stdio_server

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(serve)

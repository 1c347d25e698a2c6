"""The MCP server in-process (the SDK's direct transport): paging, resource reads, errors."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError

from cloudcore.llm.mcp import MANIFEST_URI, PAGE_SIZE, build_server


def test_resources_page_and_read(memory: Any) -> None:
    for i in range(PAGE_SIZE + 30):
        memory.store_secret(f"s{i:03d}", f"value-{i}")
    server = build_server(memory)

    async def scenario() -> None:
        async with Client(server) as client:
            first = await client.list_resources()
            assert len(first.resources) == PAGE_SIZE
            assert first.next_cursor is not None
            second = await client.list_resources(cursor=first.next_cursor)
            assert second.next_cursor is None
            uris = [r.uri for r in first.resources + second.resources]
            assert len(uris) == len(set(uris))
            secrets = [u for u in uris if ":secret/" in u]
            assert len(secrets) == PAGE_SIZE + 30
            body = (await client.read_resource(secrets[0])).contents[0].text
            assert "value-" not in body
            doc = json.loads((await client.read_resource(MANIFEST_URI)).contents[0].text)
            assert doc["safety"]["allow_writes"] is False
            schema = json.loads((await client.read_resource("type:database")).contents[0].text)
            assert schema["id"] == "type:database"
            with pytest.raises(MCPError) as err:
                await client.read_resource("cloudcore:memory::service/none")
            assert "NotFound" in err.value.message

    anyio.run(scenario)


def test_unsupported_and_unknown_tools_are_tool_errors(memory: Any) -> None:
    server = build_server(memory, allow_writes=True)

    async def scenario() -> None:
        async with Client(server) as client:
            unknown = await client.call_tool("format_disk", {})
            assert unknown.is_error
            assert unknown.structured_content["error"]["kind"] == "ConfigurationError"
            extra = await client.call_tool("list_services", {"surprise": 1})
            assert extra.is_error
            assert extra.structured_content["error"]["errors"][0]["type"] == "extra_forbidden"

    anyio.run(scenario)


def test_resource_listing_pages_are_slices_of_one_listing() -> None:
    """Paging through N resources lists the provider once (O(N)), not once per page; an
    unknown cursor is an error, not a silent restart."""
    from cloudcore.llm import mcp as mcp_module
    from cloudcore.testing.memory import MemoryProvider

    provider = MemoryProvider(zones=("example.com",))
    provider.upsert_dns_records(
        [
            {"name": f"h{i}.example.com", "type": "A", "values": [f"10.0.{i // 250}.{i % 250 + 1}"]}
            for i in range(3 * mcp_module.PAGE_SIZE)
        ]
    )
    calls = 0
    real = provider.list_resources

    def counting(*args: Any, **kw: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kw)

    provider.list_resources = counting  # type: ignore[method-assign]

    async def main() -> tuple[int, bool]:
        server = mcp_module.build_server(provider)
        async with Client(server) as client:
            seen = 0
            cursor = None
            while True:
                page = await client.list_resources(cursor=cursor)
                seen += len(page.resources)
                cursor = page.next_cursor
                if cursor is None:
                    break
            refused = False
            try:
                await client.list_resources(cursor="nope:200")
            except MCPError:
                refused = True
            return seen, refused

    seen, refused = anyio.run(main)
    assert seen >= 3 * mcp_module.PAGE_SIZE
    assert calls == 1, f"the provider was listed {calls} times for one paged listing"
    assert refused

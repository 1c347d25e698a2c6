"""``cloudcore mcp --provider memory`` as a subprocess, driven by the official ``mcp`` client."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from cloudcore.capabilities import OPERATIONS

WRITE_TOOLS = {name for name, info in OPERATIONS.items() if not info.read_only}


def _command() -> tuple[str, list[str]]:
    """The ``cloudcore`` console script next to this interpreter, else ``python -m cloudcore``."""
    script = Path(sys.executable).with_name("cloudcore")
    if script.exists():
        return str(script), []
    found = shutil.which("cloudcore")
    return (found, []) if found else (sys.executable, ["-m", "cloudcore"])


def _session(tmp_path: Path, *flags: str) -> Client:
    command, prefix = _command()
    env = {
        "CLOUDCORE_MEMORY_STATE_FILE": str(tmp_path / "memory.json"),
        "PYTHONUNBUFFERED": "1",
        "PATH": os.environ.get("PATH", ""),
    }
    params = StdioServerParameters(
        command=command,
        args=[*prefix, "mcp", "--provider", "memory", *flags],
        env=env,
        cwd=str(tmp_path),
    )
    return Client(params, mode="legacy", read_timeout_seconds=30)


def _run(fn: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        with anyio.fail_after(60):
            await fn()

    anyio.run(bounded)


def _json(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def test_read_only_server_lists_read_tools_and_answers(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _session(tmp_path) as client:
            assert client.server_info is not None
            assert client.server_info.name == "cloudcore"
            listed = (await client.list_tools()).tools
            names = {t.name for t in listed}
            assert not names & WRITE_TOOLS, names & WRITE_TOOLS
            assert "get_secret" not in names  # no secret values without --allow-secret-values
            assert {"list_services", "get_service_status", "list_resources"} <= names
            for tool in listed:
                assert tool.annotations is not None
                assert tool.annotations.read_only_hint is True
                assert tool.input_schema["type"] == "object"

            assert _json(await client.call_tool("list_services", {})) == []
            assert _json(await client.call_tool("list_secrets", {})) == []
            schema = _json(await client.call_tool("get_resource_schema", {"id": "type:service"}))
            assert schema["type"] == "service"
            assert {op["name"] for op in schema["operations"]} >= {"deploy_service"}

            missing = await client.call_tool("get_service_status", {"name": "nope"})
            assert missing.is_error
            assert missing.content[0].text.startswith("NotFound:")
            assert missing.structured_content["error"]["kind"] == "NotFound"

            refused = await client.call_tool("deploy_service", {"name": "api", "config": {}})
            assert refused.is_error
            assert refused.structured_content["error"]["kind"] == "PermissionDenied"

            bad = await client.call_tool("get_service_status", {"name": 42})
            assert bad.is_error
            assert bad.structured_content["error"]["kind"] == "ConfigurationError"

            uris = {r.uri for r in (await client.list_resources()).resources}
            assert {"cloudcore:manifest", "type:service"} <= uris

    _run(scenario)


def test_writes_allowed_deploys_and_reads_status_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _session(tmp_path, "--allow-writes") as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            assert "deploy_service" in listed
            assert "get_secret" not in listed
            delete = listed["delete_service"].annotations
            assert delete is not None
            assert delete.destructive_hint is True
            assert delete.read_only_hint is False
            deploy = listed["deploy_service"].annotations
            assert deploy is not None
            assert deploy.idempotent_hint is True
            assert deploy.destructive_hint is False

            config = {"image": "nginx:1.27", "port": 8080, "replicas": 2}
            result = _json(
                await client.call_tool("deploy_service", {"name": "api", "config": config})
            )
            assert result["changed"] is True
            again = _json(
                await client.call_tool("deploy_service", {"name": "api", "config": config})
            )
            assert again["changed"] is False
            assert again["revision"] == result["revision"]

            status = _json(await client.call_tool("get_service_status", {"name": "api"}))
            assert status["name"] == "api"
            assert status["desired"] == 2
            assert status["revision"] == result["revision"]

            stored = _json(
                await client.call_tool("store_secret", {"key": "db", "value": "hunter2"})
            )
            assert stored
            denied = await client.call_tool("get_secret", {"key": "db"})
            assert denied.is_error
            assert denied.structured_content["error"]["kind"] == "PermissionDenied"

            resources = (await client.list_resources()).resources
            ids = [r.uri for r in resources if r.uri.startswith("cloudcore:memory:")]
            service_id = next(i for i in ids if i.endswith(":service/api"))
            read = await client.read_resource(service_id)
            body = json.loads(read.contents[0].text)
            assert body["resource"]["name"] == "api"
            assert body["schema"]["id"] == service_id
            for content in read.contents:
                assert "hunter2" not in content.text
            secret_id = next(i for i in ids if i.endswith(":secret/db"))
            secret = (await client.read_resource(secret_id)).contents[0].text
            assert "hunter2" not in secret

    _run(scenario)


def test_secret_values_only_with_the_flag(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _session(tmp_path, "--allow-writes", "--allow-secret-values") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert "get_secret" in names
            await client.call_tool("store_secret", {"key": "token", "value": "s3cr3t"})
            got = _json(await client.call_tool("get_secret", {"key": "token"}))
            assert got == {"key": "token", "value": "s3cr3t"}

    _run(scenario)


@pytest.mark.parametrize("flag", [[], ["--allow-writes"]])
def test_every_listed_tool_schema_is_valid(tmp_path: Path, flag: list[str]) -> None:
    from jsonschema import Draft202012Validator

    async def scenario() -> None:
        async with _session(tmp_path, *flag) as client:
            for tool in (await client.list_tools()).tools:
                Draft202012Validator.check_schema(tool.input_schema)

    _run(scenario)

"""A read-only MCP server writes nothing (issue 11, item 19).

The embedded ``local`` driver keeps its state and secrets key under ``./.cloudcore``. Serving it
read-only from an empty folder, listing and reading everything, must leave the folder empty: no
``.cloudcore/secret.key`` appears because a secret was listed or read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

import cloudcore
from cloudcore.errors import ConfigurationError
from cloudcore.llm.mcp import build_server

_ARGS = {
    "name": "api",
    "key": "db/password",
    "id": "cloudcore:local::service/api",
    "version": "1",
}


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("secret_values", [False, True])
def test_a_read_only_server_on_local_writes_nothing_in_an_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_values: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOUDCORE_SECRET_KEY", raising=False)
    cloud = cloudcore.connect("local")
    server = build_server(cloud, allow_secret_values=secret_values)
    called: list[str] = []

    async def scenario() -> None:
        async with Client(server) as client:
            for resource in (await client.list_resources()).resources:
                await client.read_resource(str(resource.uri))
            for tool in (await client.list_tools()).tools:
                schema: dict[str, Any] = tool.input_schema
                args = {k: _ARGS[k] for k in schema.get("required", []) if k in _ARGS}
                await client.call_tool(tool.name, args)
                called.append(tool.name)

    try:
        anyio.run(scenario)
    finally:
        cloud.close()
    assert "list_secrets" in called and "list_resources" in called
    assert ("get_secret" in called) is secret_values
    assert _files(tmp_path) == []


def test_reading_a_secret_without_a_key_file_says_so_and_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDCORE_SECRET_KEY", raising=False)
    key_file = tmp_path / "k" / "secret.key"
    with cloudcore.connect(
        "local", project_dir=str(tmp_path / "p"), secret_key_file=str(key_file)
    ) as cloud:
        assert cloud.list_secrets() == []
        writer = cloudcore.connect(
            "local", project_dir=str(tmp_path / "p"), secret_key_file=str(key_file)
        )
        writer.store_secret("db/password", "s3cret-value")  # creates the key file
        writer.close()
        os.remove(key_file)
        assert cloud.list_secrets() == ["db/password"]  # names need no key
        with pytest.raises(ConfigurationError, match="no key file at") as info:
            cloud.get_secret("db/password")
        assert "s3cret" not in str(info.value)
    assert not key_file.exists()

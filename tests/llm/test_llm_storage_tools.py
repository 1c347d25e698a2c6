"""Storage as tools: content in and out as text or base64 only, never a server path; reads are
read-only tools, writes and presign need allow_writes; download_object is no tool."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from cloudcore.capabilities import OPERATIONS
from cloudcore.llm import _storage
from cloudcore.llm.manifest import call_tool, list_tools, manifest
from cloudcore.llm.mcp import build_server
from cloudcore.llm.schemas import operation_parameters
from cloudcore.testing.memory.target import memory_target

READS = {"get_bucket", "list_buckets", "get_object", "head_object", "list_objects"}
WRITES = {"create_bucket", "delete_bucket", "put_object", "delete_object", "copy_object", "presign"}


@pytest.fixture
def files(memory: Any) -> Any:
    memory.create_bucket({"name": "files"})
    return memory


def test_reads_are_read_only_tools_and_writes_need_allow_writes(files: Any) -> None:
    read_only = {t.name for t in list_tools(files)}
    assert read_only >= READS
    assert not read_only & WRITES, "a storage write (or presign) is offered without allow_writes"
    assert all(OPERATIONS[n].read_only for n in READS)
    assert {t.name for t in list_tools(files, allow_writes=True)} >= READS | WRITES
    for name, args in (
        ("presign", {"bucket": "files", "key": "a.txt"}),
        ("put_object", {"bucket": "files", "key": "a.txt", "data": {"text": "x"}}),
        ("delete_bucket", {"name": "files"}),
    ):
        denied = call_tool(files, name, args)
        assert denied.error is not None and denied.error["kind"] == "PermissionDenied", name
    assert files.list_buckets()[0].name == "files"
    assert list(files.list_objects("files")) == []


def test_download_object_is_never_a_tool(files: Any, tmp_path: Path) -> None:
    files.put_object("files", "a.txt", b"content")
    doc = manifest(files, allow_writes=True, allow_secret_values=True)
    assert "download_object" not in {t["name"] for t in doc["tools"]}
    bucket = next(r for r in doc["resources"] if r["type"] == "bucket")
    assert "download_object" not in bucket["operations"]
    target = tmp_path / "stolen.txt"
    args = {"bucket": "files", "key": "a.txt", "path": str(target)}
    denied = call_tool(files, "download_object", args, allow_writes=True)
    assert denied.error is not None and denied.error["kind"] == "PermissionDenied"
    assert not target.exists()


def test_put_object_content_is_never_a_path(files: Any, tmp_path: Path) -> None:
    secret = tmp_path / "server-file.txt"
    secret.write_text("the server's private file")
    schema = operation_parameters("put_object")["properties"]["data"]
    branches = schema["anyOf"]
    assert all(b["type"] == "object" and b["additionalProperties"] is False for b in branches)
    assert {tuple(b["required"]) for b in branches} == {("text",), ("base64",)}
    for data in (str(secret), {"path": str(secret)}, {"text": "a", "base64": "YQ=="}, None):
        result = call_tool(
            files, "put_object", {"bucket": "files", "key": "x", "data": data}, allow_writes=True
        )
        assert result.error is not None and result.error["kind"] == "ConfigurationError", data
    assert list(files.list_objects("files")) == [], "a refused call wrote something"


def test_content_round_trips_as_text_and_base64(files: Any) -> None:
    text = {"bucket": "files", "key": "notes/readme.md", "data": {"text": "héllo ✓"}}
    put = call_tool(files, "put_object", text, allow_writes=True)
    assert put.ok and put.data["checksum"].startswith("sha256:")
    binary = bytes(range(256))
    encoded = {"base64": base64.b64encode(binary).decode()}
    assert call_tool(
        files, "put_object", {"bucket": "files", "key": "b.bin", "data": encoded}, allow_writes=True
    ).ok
    with files.get_object("files", "b.bin") as reader:
        assert reader.read() == binary
    got = call_tool(files, "get_object", {"bucket": "files", "key": "notes/readme.md"})
    assert got.ok and got.data["text"] == "héllo ✓" and "base64" not in got.data
    assert got.data["info"]["size"] == len("héllo ✓".encode())
    got = call_tool(files, "get_object", {"bucket": "files", "key": "b.bin"})
    assert got.ok and base64.b64decode(got.data["base64"]) == binary
    json.dumps([put.to_json(), got.to_json()])


def test_large_objects_and_long_listings_are_bounded(
    files: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_storage, "MAX_TOOL_OBJECT_BYTES", 10)
    monkeypatch.setattr(_storage, "MAX_TOOL_LISTING", 3)
    files.put_object("files", "big", b"x" * 11)
    for i in range(4):
        files.put_object("files", f"k{i}", b"v")
    too_big = call_tool(files, "get_object", {"bucket": "files", "key": "big"})
    assert too_big.error is not None and "presign" in too_big.error["message"]
    listing = call_tool(files, "list_objects", {"bucket": "files"})
    assert listing.ok and listing.data["truncated"] is True
    assert [o["key"] for o in listing.data["objects"]] == ["big", "k0", "k1"]
    rest = call_tool(files, "list_objects", {"bucket": "files", "prefix": "k3"})
    assert rest.ok and rest.data == {"objects": rest.data["objects"], "truncated": False}


def test_storage_keys_and_bucket_names_have_their_own_schemas() -> None:
    key = operation_parameters("get_object")["properties"]["key"]
    assert key["pattern"] == _storage.OBJECT_KEY_PATTERN and key["maxLength"] == 1024
    assert operation_parameters("get_secret")["properties"]["key"]["description"] == "secret name"
    name = operation_parameters("delete_bucket")["properties"]["name"]
    assert name["pattern"] == _storage.BUCKET_PATTERN
    with memory_target() as cloud:
        cloud.create_bucket({"name": "files"})
        refused = call_tool(cloud, "get_object", {"bucket": "files", "key": "../../etc/passwd"})
        assert refused.error is not None and refused.error["field"] == "key"
        refused = call_tool(cloud, "get_bucket", {"name": "Not_A_Bucket"})
        assert refused.error is not None and refused.error["field"] == "name"


def test_mcp_server_offers_storage_safely(files: Any, tmp_path: Path) -> None:
    files.put_object("files", "a.txt", b"hello")
    secret = tmp_path / "server.txt"
    secret.write_text("private")
    server = build_server(files, allow_writes=True)

    async def scenario() -> None:
        async with Client(server) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert "download_object" not in names and {"put_object", "presign"} <= names
            read = await client.call_tool("get_object", {"bucket": "files", "key": "a.txt"})
            assert not read.is_error and read.structured_content["result"]["text"] == "hello"
            path = await client.call_tool(
                "put_object", {"bucket": "files", "key": "b", "data": str(secret)}
            )
            assert path.is_error
            denied = await client.call_tool(
                "download_object", {"bucket": "files", "key": "a.txt", "path": str(tmp_path / "o")}
            )
            assert denied.is_error

    anyio.run(scenario)
    assert [o.key for o in files.list_objects("files")] == ["a.txt"]
    assert not (tmp_path / "o").exists()

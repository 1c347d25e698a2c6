"""``/.well-known/ai-tools.json`` from a WSGI app (served by wsgiref) and an ASGI app."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.validate import validator

import anyio
import pytest

from cloudcore.llm.wellknown import WELL_KNOWN_PATH, ai_tools, asgi_middleware, wsgi_middleware


def hello_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from the app"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def wsgi_url(memory: Any) -> Iterator[str]:
    app = validator(ai_tools(validator(hello_wsgi), memory))
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_wsgi_serves_the_manifest_and_passes_the_rest(wsgi_url: str) -> None:
    with urllib.request.urlopen(wsgi_url + WELL_KNOWN_PATH, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        doc = json.loads(resp.read())
    assert doc["schema_version"] == "1.0"
    assert doc["provider"]["name"] == "memory"
    names = {t["name"] for t in doc["tools"]}
    assert "list_resources" in names
    assert "deploy_service" not in names  # read-only by default
    assert all(t["annotations"]["readOnlyHint"] for t in doc["tools"])
    with urllib.request.urlopen(wsgi_url + "/other", timeout=10) as resp:
        assert resp.read() == b"hello from the app"
    req = urllib.request.Request(wsgi_url + WELL_KNOWN_PATH, method="POST", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 405


async def _call(app: Any, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body


async def hello_asgi(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"asgi app"})


def test_asgi_serves_the_manifest_and_passes_the_rest(memory: Any) -> None:
    app = ai_tools(hello_asgi, memory, allow_writes=True)

    async def scenario() -> None:
        status, headers, body = await _call(app, WELL_KNOWN_PATH)
        assert status == 200
        assert headers["content-type"] == "application/json"
        doc = json.loads(body)
        assert "deploy_service" in {t["name"] for t in doc["tools"]}
        assert doc["safety"] == {"allow_writes": True, "allow_secret_values": False}
        assert await _call(app, "/") == (200, {}, b"asgi app")
        status, _, body = await _call(app, WELL_KNOWN_PATH, "HEAD")
        assert (status, body) == (200, b"")
        status, _, _ = await _call(app, WELL_KNOWN_PATH, "DELETE")
        assert status == 405

    anyio.run(scenario)


def test_explicit_wrappers_take_a_dict_or_a_callable() -> None:
    calls: list[int] = []

    def build() -> dict[str, Any]:
        calls.append(1)
        return {"schema_version": "1.0", "tools": []}

    asgi = asgi_middleware(hello_asgi, build)

    async def scenario() -> None:
        for _ in range(3):
            status, _, body = await _call(asgi, WELL_KNOWN_PATH)
            assert (status, json.loads(body)["tools"]) == (200, [])

    anyio.run(scenario)
    assert calls == [1]  # built once

    wsgi = wsgi_middleware(hello_wsgi, {"schema_version": "1.0", "tools": []})
    seen: list[str] = []
    out = wsgi({"PATH_INFO": WELL_KNOWN_PATH, "REQUEST_METHOD": "GET"}, lambda s, h: seen.append(s))
    assert seen == ["200 OK"]
    assert json.loads(b"".join(out)) == {"schema_version": "1.0", "tools": []}

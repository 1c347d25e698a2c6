"""Serve the tool manifest at ``/.well-known/ai-tools.json`` from any WSGI or ASGI app.

>>> import cloudcore
>>> from cloudcore.llm.wellknown import ai_tools
>>> app = ai_tools(my_app, cloudcore.connect("memory"))      # doctest: +SKIP

:func:`ai_tools` wraps an app (detecting ASGI by its coroutine ``__call__``; or call
:func:`wsgi_middleware` / :func:`asgi_middleware` directly). ``GET`` and ``HEAD`` of
:data:`WELL_KNOWN_PATH` answer ``200`` with the JSON document (``application/json``, CORS ``*``,
short cache); other methods on that path answer ``405``; every other request goes to the app
untouched. The manifest is a dict, a provider (the ``well-known`` manifest is built once, on the
first request, read-only unless ``allow_writes``), or a callable returning a dict.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = ["WELL_KNOWN_PATH", "ai_tools", "asgi_middleware", "wsgi_middleware"]

WELL_KNOWN_PATH = "/.well-known/ai-tools.json"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _Document:
    """The manifest body, built once (thread-safe) from a dict, provider or callable."""

    def __init__(self, source: Any, allow_writes: bool) -> None:
        self._source = source
        self._allow_writes = allow_writes
        self._body: bytes | None = None
        self._lock = threading.Lock()

    def body(self) -> bytes:
        if self._body is None:
            with self._lock:
                if self._body is None:
                    self._body = json.dumps(self._build(), sort_keys=True).encode()
        return self._body

    def _build(self) -> Any:
        source = self._source
        if isinstance(source, dict):
            return source
        if hasattr(source, "capabilities") and hasattr(source, "supports"):
            from .manifest import manifest

            return manifest(source, allow_writes=self._allow_writes)
        if callable(source):
            return source()
        raise TypeError("manifest must be a dict, a provider or a callable returning a dict")


def _headers(body: bytes) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Access-Control-Allow-Origin", "*"),
        ("Cache-Control", "public, max-age=60"),
    ]


_NOT_ALLOWED = b'{"error": "method not allowed"}'


def wsgi_middleware(app: WSGIApp, manifest: Any, *, allow_writes: bool = False) -> WSGIApp:
    """Wrap a WSGI ``app`` so it serves ``manifest`` at :data:`WELL_KNOWN_PATH`."""
    doc = _Document(manifest, allow_writes)

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != WELL_KNOWN_PATH:
            return app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response(
                "405 Method Not Allowed",
                [*_headers(_NOT_ALLOWED)[:2], ("Allow", "GET, HEAD")],
            )
            return [_NOT_ALLOWED]
        body = doc.body()
        start_response("200 OK", _headers(body))
        return [b""] if method == "HEAD" else [body]

    return wrapped


def asgi_middleware(app: ASGIApp, manifest: Any, *, allow_writes: bool = False) -> ASGIApp:
    """Wrap an ASGI ``app`` so it serves ``manifest`` at :data:`WELL_KNOWN_PATH`."""
    doc = _Document(manifest, allow_writes)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("path") != WELL_KNOWN_PATH:
            await app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD"):
            headers = [*_headers(_NOT_ALLOWED)[:2], ("Allow", "GET, HEAD")]
            await _respond(send, 405, headers, _NOT_ALLOWED)
            return
        body = doc.body()
        await _respond(send, 200, _headers(body), b"" if method == "HEAD" else body)

    return wrapped


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _is_asgi(app: Any) -> bool:
    if inspect.iscoroutinefunction(app):
        return True
    call = getattr(app, "__call__", None)  # noqa: B004 - we need the bound method itself
    return inspect.iscoroutinefunction(call)


def ai_tools(app: Any, manifest: Any, *, allow_writes: bool = False) -> Any:
    """Wrap a WSGI or ASGI ``app`` (detected) to serve ``manifest`` at the well-known path.

    Args:
        app: The application to wrap.
        manifest: A manifest dict, a connected provider, or a callable returning a dict.
        allow_writes: With a provider: list write tools too (the default lists read-only ones).
    """
    if _is_asgi(app):
        return asgi_middleware(app, manifest, allow_writes=allow_writes)
    return wsgi_middleware(app, manifest, allow_writes=allow_writes)

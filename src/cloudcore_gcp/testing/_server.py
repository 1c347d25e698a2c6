"""The fake GCP HTTP server: plumbing (routing, errors, faults, pages, operations).

One :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 serves every REST surface the driver
uses. The API handlers live in :mod:`._run_sm` (Cloud Run, Cloud Logging, Secret Manager,
Memorystore), :mod:`._sql_dns` (Cloud SQL, Cloud DNS) and :mod:`._armor` (Cloud Armor); this
module holds what they share.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cloudcore.testing.faults import FaultQueue

__all__ = ["ApiError", "FakeServer", "Request", "enum_value", "now_rfc3339", "pending_view"]

Json = dict[str, Any]
Handler = Callable[["Request"], tuple[int, Json]]

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def now_rfc3339() -> str:
    """The current UTC time as RFC 3339 with fractional seconds (what Google APIs send)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ApiError(Exception):
    """An error the fake answers with, as a Google error body ``{"error": {...}}``."""

    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")


class Request:
    """One parsed request: method, path, query (first values), JSON body, path groups."""

    def __init__(self, method: str, path: str, query: dict[str, str], body: Json) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.groups: tuple[str, ...] = ()

    def int_query(self, name: str, default: int) -> int:
        try:
            return int(self.query.get(name, default))
        except ValueError:
            raise ApiError(400, f"{name} must be an integer") from None


class FakeServer:
    """Routing, state lock, fault queue, request log and pagination for the fake APIs.

    Args:
        project: The project id the fake serves.
        region: The region/location the fake serves.
        page_size: The largest page any list returns, whatever the client asks (small, so
            pagination is exercised).

    Attributes:
        operation_polls: How many polls each new long-running operation (Cloud Run and
            Memorystore LROs, ``sql#operation``, compute operations) answers "not done" before
            it reports done; 0 answers done at once.
    """

    def __init__(
        self, project: str = "fake-project", region: str = "us-central1", page_size: int = 5
    ) -> None:
        self.project = project
        self.region = region
        self.page_size = page_size
        self.operation_polls = 0
        self.faults = FaultQueue()
        self.lock = threading.RLock()
        self.log: list[tuple[str, str, int]] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0

    # ---------------------------------------------------------------- routing
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` and a path regex (``{x}`` = one segment)."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"([^/]+?)", pattern) + "$"
        self._routes.append((method, re.compile(regex), handler))

    def next_id(self) -> int:
        with self.lock:
            self._counter += 1
            return self._counter

    @staticmethod
    def new_uuid() -> str:
        return uuid.uuid4().hex

    def page(
        self, req: Request, items: list[Json], key: str, *, size_param: str = "pageSize"
    ) -> Json:
        """One page of ``items`` as ``{key: [...], "nextPageToken": ...}``.

        Items are ordered by identity (``name``/``id``, plus ``type`` for record sets) and the
        token is the identity of the last item returned, so a page is stable when other
        requests create or delete items between pages (as Google's cursors are).
        """
        size = req.int_query(size_param, self.page_size) or self.page_size
        size = max(1, min(size, self.page_size))
        ordered = sorted(items, key=_ident)
        token = req.query.get("pageToken") or ""
        if token:
            try:
                after = bytes.fromhex(token).decode()
            except ValueError:
                raise ApiError(400, "invalid page token") from None
            ordered = [i for i in ordered if _ident(i) > after]
        out: Json = {key: ordered[:size]}
        if len(ordered) > size:
            out["nextPageToken"] = _ident(ordered[size - 1]).encode().hex()
        return out

    def dispatch(self, req: Request) -> tuple[int, Json]:
        mutating = req.method != "GET"
        fault = self.faults.take(None, f"{req.method} {req.path}", mutating)
        if fault is not None:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
            elif fault.kind == "throttle":
                raise _Throttle(fault.retry_after)
            else:
                raise ApiError(503, "the fake injected a transient failure", "UNAVAILABLE")
        for method, regex, handler in self._routes:
            if method != req.method:
                continue
            m = regex.match(req.path)
            if m:
                req.groups = m.groups()
                with self.lock:
                    return handler(req)
        raise ApiError(404, f"no such method: {req.method} {req.path}")

    # -------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the ``api_endpoint`` to give the clients)."""
        if self._httpd is None:
            raise RuntimeError("the fake GCP server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        """Start serving on 127.0.0.1, on a free port."""
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one buffered write per response and no Nagle: otherwise each keep-alive request
            # waits ~40 ms for a delayed ACK between the header and body writes
            disable_nagle_algorithm = True
            wbufsize = 1 << 16

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers: dict[str, str] = {}
                try:
                    try:
                        body = json.loads(raw) if raw else {}
                    except ValueError:
                        raise ApiError(400, "request body is not JSON") from None
                    req = Request(self.command, parts.path, query, body)
                    status, payload = server.dispatch(req)
                except _Throttle as exc:
                    status = 429
                    payload = _error_body(429, "Quota exceeded (injected).", "RESOURCE_EXHAUSTED")
                    if exc.retry_after is not None:
                        headers["Retry-After"] = f"{exc.retry_after:g}"
                except ApiError as exc:
                    status, payload = exc.code, _error_body(exc.code, exc.message, exc.status)
                except Exception as exc:  # a bug in the fake: answer 500, never hang
                    status = 500
                    payload = _error_body(500, f"fake server error: {exc!r}", "INTERNAL")
                server.log.append((self.command, parts.path, status))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class _Throttle(Exception):
    def __init__(self, retry_after: float | None) -> None:
        super().__init__("throttled")
        self.retry_after = retry_after


def _ident(item: Json) -> str:
    return f"{item.get('name') or item.get('id') or ''}\x00{item.get('type', '')}"


def _error_body(code: int, message: str, status: str) -> Json:
    return {
        "error": {
            "code": code,
            "message": message,
            "status": status,
            "errors": [{"message": message, "domain": "global", "reason": status.lower()}],
        }
    }


def enum_value(value: Any, names: dict[str, int]) -> int:
    """An enum sent as an integer (``enum-encoding=int``) or as its name, as an integer."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        if value in names:
            return names[value]
    raise ApiError(400, f"invalid enum value {value!r}")


def pending_view(op: Json, field: str, pending: Any) -> Json:
    """The operation, still at ``pending`` while polls remain (its work is already applied)."""
    view = {k: copy.deepcopy(v) for k, v in op.items() if not k.startswith("_")}
    if op.get("_pending"):
        view[field] = pending
        view.pop("endTime", None)
        if "progress" in view:
            view["progress"] = 50
    return view

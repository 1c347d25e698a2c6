"""The fake GCP HTTP server: plumbing (routing, errors, faults, pages, operations).

One :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 serves every REST surface the driver
uses. The API handlers live in :mod:`._run_sm` (Cloud Run, Cloud Logging, Secret Manager,
Memorystore), :mod:`._sql_dns` (Cloud SQL, Cloud DNS) and :mod:`._armor` (Cloud Armor); this
module holds what they share.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cloudcore.testing.faults import FaultQueue
from cloudcore.testing.wire import WireTally

from ._discovery import Invalid, Method, check, encode_enums, method

__all__ = [
    "ApiError",
    "FakeServer",
    "Request",
    "http_code",
    "now_rfc3339",
    "pending_view",
]

Json = dict[str, Any]
Handler = Callable[["Request"], tuple[int, Json]]

# google.rpc.Code -> HTTP status, as google/rpc/code.proto documents for each code (e.g.
# "FAILED_PRECONDITION ... HTTP Mapping: 400 Bad Request").
_HTTP = {
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}
# APIs of the older "apiary" front end also answer the v1 error list ``errors[]`` with a reason
# (Cloud DNS's ``conditionNotMet``, Compute's ``notFound``); the v2 APIs answer only the Status.
_APIARY = {"dns.v1", "compute.v1", "sqladmin.v1beta4"}


def http_code(status: str) -> int:
    """The HTTP status of a ``google.rpc.Code`` name, per ``google/rpc/code.proto``."""
    return _HTTP[status]


def now_rfc3339() -> str:
    """The current UTC time as RFC 3339 with fractional seconds (what Google APIs send)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ApiError(Exception):
    """An error the fake answers with: a ``google.rpc.Status`` in ``{"error": {...}}``.

    Args:
        status: The ``google.rpc.Code`` name (``NOT_FOUND``, ``FAILED_PRECONDITION``...).
        message: The developer-facing message.
        http: The HTTP status, when the API documents one that differs from ``code.proto``'s
            mapping (Cloud DNS answers a stale deletion with 412 ``conditionNotMet``).
        reason: The v1 ``errors[].reason`` of apiary APIs (``notFound``, ``conditionNotMet``).
        field: The request field at fault, reported as a ``google.rpc.BadRequest`` violation.
    """

    def __init__(
        self,
        status: str,
        message: str,
        *,
        http: int | None = None,
        reason: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        if status not in _HTTP:
            raise ValueError(f"not a google.rpc.Code name: {status!r}")
        self.status = status
        self.message = message
        self.code = http or _HTTP[status]
        self.reason = reason
        self.field = field

    def body(self, api: str | None) -> Json:
        """The error as Google sends it (``google.rpc.Status`` with ``details``)."""
        details: list[Json] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": self.reason or self.status,
                "domain": "googleapis.com",
            }
        ]
        if self.field is not None:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": self.field, "description": self.message}],
                }
            )
        error: Json = {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "details": details,
        }
        if api in _APIARY:
            reason = self.reason or _v1_reason(self.status)
            error["errors"] = [{"message": self.message, "domain": "global", "reason": reason}]
        return {"error": error}


def _v1_reason(status: str) -> str:
    return {
        "NOT_FOUND": "notFound",
        "ALREADY_EXISTS": "alreadyExists",
        "INVALID_ARGUMENT": "invalid",
        "FAILED_PRECONDITION": "failedPrecondition",
        "RESOURCE_EXHAUSTED": "rateLimitExceeded",
        "PERMISSION_DENIED": "forbidden",
        "UNAVAILABLE": "backendError",
    }.get(status, status.lower())


class Request:
    """One validated request: method, path, query (first values), normalised JSON body, path
    parameters (``groups`` in path order, ``params`` by name) and the discovery method."""

    def __init__(self, method: str, path: str, query: dict[str, str], body: Json) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.groups: tuple[str, ...] = ()
        self.params: dict[str, str] = {}
        self.ignored: list[str] = []
        self.int_enums = False

    def int_query(self, name: str, default: int) -> int:
        try:
            return int(self.query.get(name, default))
        except ValueError:
            raise ApiError("INVALID_ARGUMENT", f"{name} must be an integer", field=name) from None


class FakeServer:
    """Routing, validation, state lock, fault queue, request log, wire tally and pagination.

    Every route names the discovery method it implements (``api``, ``method_id``); its path
    template comes from the discovery document, and every request is checked against that
    method (:mod:`._discovery`) before a handler sees it.

    Args:
        project: The project id the fake serves.
        region: The region/location the fake serves.
        page_size: The largest page any list returns, whatever the client asks (small, so
            pagination is exercised).

    Attributes:
        operation_polls: How many polls each new long-running operation (Cloud Run and
            Memorystore LROs, ``sql#operation``, compute operations, Cloud DNS changes) answers
            "not done" before it reports done; 0 answers done at once.
        wire: Every request the fake answered, counted on the server side, classified as a
            write unless the request itself is a read (GET/HEAD, or a read-only custom method
            such as ``entries:list``).
        requests: The last requests, newest last: ``(method, path, query, body, ignored)``
            where ``ignored`` lists the output-only fields the fake dropped (secret payloads
            are redacted).
    """

    def __init__(
        self, project: str = "fake-project", region: str = "us-central1", page_size: int = 5
    ) -> None:
        self.project = project
        self.region = region
        self.page_size = page_size
        self.operation_polls = 0
        self.faults = FaultQueue()
        self.wire = WireTally()
        self.lock = threading.RLock()
        self.log: list[tuple[str, str, int]] = []
        self.requests: list[tuple[str, str, dict[str, str], Json, list[str]]] = []
        self._routes: list[tuple[Method, Handler]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0

    # ---------------------------------------------------------------- routing
    def route(self, api: str, method_id: str, handler: Handler) -> None:
        """Serve the discovery method ``method_id`` of ``api`` with ``handler``."""
        self._routes.append((method(api, method_id), handler))

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
                raise ApiError(
                    "INVALID_ARGUMENT", "invalid page token", field="pageToken"
                ) from None
            ordered = [i for i in ordered if _ident(i) > after]
        out: Json = {key: ordered[:size]}
        if len(ordered) > size:
            out["nextPageToken"] = _ident(ordered[size - 1]).encode().hex()
        return out

    def _match(self, verb: str, path: str) -> tuple[Method, Handler, dict[str, str]] | None:
        for m, handler in self._routes:
            if m.http_method != verb:
                continue
            found = m.regex.match(path)
            if found:
                return m, handler, found.groupdict()
        return None

    def dispatch(
        self, verb: str, path: str, query: dict[str, list[str]], raw: Any
    ) -> tuple[int, Json, Method | None]:
        """Route, validate and answer one request: ``(status, payload, method)``."""
        matched = self._match(verb, path)
        mutating = verb not in ("GET", "HEAD") if matched is None else not matched[0].reads_only
        self.wire.count(f"{verb} {path}", mutating=mutating)
        fault = self.faults.take(None, f"{verb} {path}", mutating)
        if fault is not None:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
            elif fault.kind == "throttle":
                raise _Throttle(fault.retry_after)
            else:
                raise ApiError("UNAVAILABLE", "the fake injected a transient failure")
        if matched is None:
            raise ApiError("NOT_FOUND", f"no such method: {verb} {path}")
        m, handler, params = matched
        try:
            checked = check(m, params, query, raw)
        except Invalid as exc:
            raise ApiError("INVALID_ARGUMENT", exc.message, field=exc.field) from None
        req = Request(verb, path, checked.query, checked.body)
        req.params = checked.params
        req.groups = tuple(params[k] for k in m.regex.groupindex)
        req.ignored = checked.ignored
        req.int_enums = checked.int_enums
        with self.lock:
            logged = {k: "<redacted>" if k == "payload" else v for k, v in checked.body.items()}
            self.requests.append((verb, path, checked.query, logged, checked.ignored))
            del self.requests[:-500]
            status, payload = handler(req)
        if checked.int_enums:
            payload = encode_enums(payload, m.api, m.response)
        return status, payload, m

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
                query = parse_qs(parts.query, keep_blank_values=True)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers: dict[str, str] = {}
                api: str | None = None
                try:
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        raise ApiError(
                            "INVALID_ARGUMENT", "Invalid JSON payload received."
                        ) from None
                    status, payload, m = server.dispatch(self.command, parts.path, query, body)
                    api = m.api if m else None
                except _Throttle as exc:
                    err = ApiError("RESOURCE_EXHAUSTED", "Quota exceeded (injected).")
                    status, payload = err.code, err.body(api)
                    if exc.retry_after is not None:
                        headers["Retry-After"] = f"{exc.retry_after:g}"
                except ApiError as exc:
                    matched = server._match(self.command, parts.path)
                    status, payload = exc.code, exc.body(matched[0].api if matched else None)
                except Exception as exc:  # a bug in the fake: answer 500, never hang
                    err = ApiError("INTERNAL", f"fake server error: {exc!r}")
                    status, payload = err.code, err.body(api)
                server.log.append((self.command, parts.path, status))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

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


def pending_view(op: Json, field: str, pending: Any) -> Json:
    """The operation, still at ``pending`` while polls remain (its work is already applied)."""
    view = {k: copy.deepcopy(v) for k, v in op.items() if not k.startswith("_")}
    if op.get("_pending"):
        view[field] = pending
        view.pop("endTime", None)
        if "progress" in view:
            view["progress"] = 50
    return view

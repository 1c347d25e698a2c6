"""The moto server of the AWS test target: every request counted on the server's side.

:class:`CountingMotoServer` runs moto's own WSGI application (what ``moto.server.
ThreadedMotoServer`` runs) behind :class:`WireCountingApp`, a WSGI middleware that, for every
request that reaches the server, records what it is and whether it changes state, classified by
the request itself, never by asking the client:

* **JSON protocol** (ECS, Secrets Manager, WAFv2, CloudWatch Logs...): the operation named in the
  ``X-Amz-Target`` header (``secretsmanager.GetSecretValue``);
* **Smithy RPC v2** (``smithy-protocol`` header): the operation in ``/service/S/operation/Op``;
* **query and EC2 protocols** (RDS, ElastiCache, EC2...): the ``Action=`` parameter of the query
  string or of the form-encoded body;
* **REST protocols** (Route53, S3...): the operation whose HTTP method and ``requestUri`` in the
  service's published API model (botocore's, named by the SigV4 credential scope) match the
  request, so that a ``POST`` that only reads (Route53 ``ListTagsForResources``) counts as a read;
  when no operation matches, the HTTP method decides (``GET``/``HEAD``/``OPTIONS`` read).

An operation reads when its name starts with one of :data:`WIRE_READ_WORDS` followed by an
upper-case letter or nothing (``CheckCapacity`` reads; ``CheckoutLicense`` writes). moto's own
control API (``/moto-api/...``: reset, seeding) is not counted. The time spent inside the
server (from the request's arrival in the application to the last byte of its body) is summed in
:attr:`MotoWire.server_seconds`, so a benchmark can tell client time from server time.

**Stricter than moto, as AWS documents it**: a few Route53 operations are answered or checked
the documented way by :mod:`cloudcore_aws._motoroute53` (zones listed by name, change batches
checked against what the zone holds, paging fields), and S3 presigned URLs (expiry, signature)
and body checksums by :mod:`cloudcore_aws._motos3`.

**One AWS account per server**: moto keeps its backends in module globals, so two servers in one
process would otherwise share every VPC, zone, secret and queue (a second target's fixture zone
became a duplicate ``example.com`` in the first one's listing). Each :class:`CountingMotoServer`
answers every request as its own account (moto's ``x-moto-account-id`` header, set by the server,
never by the client), and :meth:`CountingMotoServer.reset` clears that account only. What AWS
itself shares across accounts stays shared: S3 bucket names are global, as in AWS.
"""

from __future__ import annotations

import io
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from cloudcore.testing.wire import WireTally

from ._motoroute53 import ROUTE53_RULES
from ._motos3 import check_body, check_presigned

__all__ = [
    "WIRE_READ_WORDS",
    "AccountApp",
    "CountingMotoServer",
    "MotoWire",
    "WireCountingApp",
    "reads_only",
    "reset_account",
]

WIRE_READ_WORDS = (
    "Describe",
    "List",
    "Get",
    "BatchGet",
    "Check",
    "Search",
    "Lookup",
    "Filter",
    "Query",
    "Scan",
    "Select",
    "Test",
    "Validate",
    "Estimate",
    "Simulate",
    "Download",
    "Head",
)
"""Leading words of AWS API operations that only read (``DescribeServices``, ``BatchGetSecretValue``,
``CheckCapacity``, ``SearchResources``, ``LookupEvents``, ``FilterLogEvents``, DynamoDB ``Query``
and ``Scan``, ``TestDNSAnswer``, ``ValidateTemplate``, ``EstimateTemplateCost``,
``SimulatePrincipalPolicy``, ``DownloadDBLogFilePortion``, S3 ``HeadObject``)."""

_COPY_OPERATIONS = frozenset({"CopyObject", "UploadPartCopy"})
"""S3 operations told from ``PutObject`` / ``UploadPart`` by the ``x-amz-copy-source`` header."""

_CHECKED_BODIES = frozenset({"PutObject", "UploadPart"})
"""S3 operations whose body is checked against its checksum headers (:mod:`._motos3`)."""

_READ_RE = re.compile(rf"\A(?:{'|'.join(WIRE_READ_WORDS)})(?=[A-Z]|\Z)")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SCOPE_RE = re.compile(r"Credential=[^/,]+/\d{8}/[^/,]+/([^/,]+)/aws4_request")


def reads_only(operation: str) -> bool:
    """Whether the AWS API operation ``operation`` only reads (see :data:`WIRE_READ_WORDS`)."""
    return _READ_RE.match(operation) is not None


@dataclass
class MotoWire(WireTally):
    """The request tally of one moto server, plus the time spent inside it."""

    server_seconds: float = 0.0
    _time_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_time(self, seconds: float) -> None:
        """Add ``seconds`` spent answering one request."""
        with self._time_lock:
            self.server_seconds += seconds


# ------------------------------------------------------------------ REST operation resolution
@dataclass(frozen=True)
class _Route:
    operation: str
    path: re.Pattern[str]
    query_keys: frozenset[str]
    specificity: tuple[int, int]


_routes: dict[str, dict[str, list[_Route]] | None] = {}
_routes_lock = threading.Lock()


def _compile_uri(uri: str) -> tuple[re.Pattern[str], frozenset[str], tuple[int, int]]:
    path, _, query = uri.partition("?")
    literal = 0
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            pattern += ".+" if part.endswith("+}") else "[^/]+"
        else:
            pattern += re.escape(part)
            literal += len(part)
    pattern = pattern.rstrip("/") + "/?"
    keys = frozenset(k.partition("=")[0] for k in query.split("&") if k)
    return re.compile(rf"\A{pattern}\Z"), keys, (len(keys), literal)


def _service_routes(signing_name: str) -> dict[str, list[_Route]] | None:
    """Routes of a REST service by HTTP method (most specific first), from botocore's model."""
    with _routes_lock:
        if signing_name in _routes:
            return _routes[signing_name]
        routes: dict[str, list[_Route]] | None = None
        try:
            import botocore.session

            model = botocore.session.get_session().get_service_model(signing_name)
        except Exception:  # not a service botocore knows by that name: decide by method
            model = None
        if model is not None and model.protocol in ("rest-xml", "rest-json"):
            routes = {}
            for name in model.operation_names:
                http = model.operation_model(name).http
                regex, keys, specificity = _compile_uri(str(http.get("requestUri", "/")))
                method = str(http.get("method", "POST")).upper()
                routes.setdefault(method, []).append(_Route(name, regex, keys, specificity))
            for candidates in routes.values():
                candidates.sort(key=lambda r: r.specificity, reverse=True)
        _routes[signing_name] = routes
        return routes


def _rest_operation(environ: dict[str, Any], method: str, path: str) -> str | None:
    match = _SCOPE_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match is None:
        return None
    routes = _service_routes(match.group(1))
    if not routes:
        return None
    present = {k for k, _ in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)}
    copying = bool(environ.get("HTTP_X_AMZ_COPY_SOURCE"))
    for route in routes.get(method, ()):
        if route.operation in _COPY_OPERATIONS and not copying:
            continue  # same method and URI as PutObject / UploadPart: the header tells them apart
        if route.query_keys <= present and route.path.match(path):
            return route.operation
    return None


# ------------------------------------------------------------------------------ middleware
class WireCountingApp:
    """WSGI middleware that counts every request (see the module docstring) into ``wire``."""

    def __init__(self, app: Callable[..., Iterable[bytes]], wire: MotoWire) -> None:
        self.app = app
        self.wire = wire

    def classify(self, environ: dict[str, Any]) -> tuple[str, bool]:
        """``(what, mutating)`` of one request; may buffer the body (``wsgi.input`` replaced)."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/"))
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            operation = str(target).rsplit(".", 1)[-1]
            return operation, not reads_only(operation)
        if environ.get("HTTP_SMITHY_PROTOCOL") and "/operation/" in path:
            operation = path.rstrip("/").rsplit("/", 1)[-1]
            return operation, not reads_only(operation)
        action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        if not action and "x-www-form-urlencoded" in str(environ.get("CONTENT_TYPE", "")):
            body = buffer_body(environ)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0], not reads_only(action[0])
        route = _rest_operation(environ, method, path)
        if route is not None:
            return route, not reads_only(route)
        return f"{method} {path}", method not in _READ_METHODS

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            return self.app(environ, start_response)  # moto's control API: not AWS traffic
        start = time.perf_counter()
        try:
            what, mutating = self.classify(environ)
            # counted before answering: a client may read the counter as soon as it has its reply
            self.wire.count(what, mutating=mutating)
            refusal = check_presigned(environ)
            if refusal is None and what in _CHECKED_BODIES:
                refusal = check_body(environ, buffer_body(environ))
            if refusal is not None:
                return refusal(start_response)
            handler = ROUTE53_RULES.get(what)
            if handler is not None:
                return handler(self.app, environ, start_response)
            return drain(self.app(environ, start_response))
        finally:
            self.wire.add_time(time.perf_counter() - start)


def buffer_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def drain(result: Iterable[bytes]) -> list[bytes]:
    try:
        return [b"".join(result)]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


# ---------------------------------------------------------------------------------- server
_accounts = itertools.count(100000000001)
_accounts_lock = threading.Lock()


def _new_account() -> str:
    """A 12-digit account id no other server of this process answers as."""
    with _accounts_lock:
        return f"{next(_accounts):012d}"


class AccountApp:
    """WSGI middleware answering every request as account ``account`` (see the module docs)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], account: str) -> None:
        self.app = app
        self.account = account

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account  # whatever the client sent
        return self.app(environ, start_response)


def reset_account(account: str) -> None:
    """Forget everything moto holds for ``account`` (every service, every region).

    The account's entry is dropped from each backend registry (moto makes a fresh one on the next
    request), rather than reset in place: S3's own reset disposes of every tracked object of the
    process, other accounts' included.
    """
    from moto.core.base_backend import BackendDict, backend_lock

    with backend_lock:
        for backends in list(BackendDict._instances):  # type: ignore[misc]
            if account in backends:
                del backends[account]
            names = getattr(backends, "bucket_accounts", None)
            if isinstance(names, dict):
                for name in [n for n, (_, owner) in names.items() if owner == account]:
                    del names[name]


class CountingMotoServer:
    """moto's server application on ``127.0.0.1`` (a free port), behind the wire counter.

    Args:
        wire: Where requests are counted (a new :class:`MotoWire` by default).
        account: The AWS account every request is answered as (a new one by default).
    """

    def __init__(self, wire: MotoWire | None = None, account: str | None = None) -> None:
        self.wire = wire or MotoWire()
        self.account = account or _new_account()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Start serving in a daemon thread; returns the server's ``http://`` URL."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = AccountApp(
            WireCountingApp(DomainDispatcherApplication(create_backend_app), self.wire),
            self.account,
        )
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-server", daemon=True
        )
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the moto server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Clear everything this server's account holds (other servers keep theirs)."""
        reset_account(self.account)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

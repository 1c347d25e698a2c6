"""A fake Cloudflare API for offline tests, and the driver's test target.

:class:`FakeCloudflare` is a stateful HTTP server on ``127.0.0.1`` (a ``ThreadingHTTPServer`` on a
free port) that speaks the Cloudflare v4 API for what cloudcore uses: zones, DNS records with the
batch endpoint, zone entry-point rulesets (custom, rate limiting, managed phases), account IP
lists, and the Secrets Store. It answers with the v4 envelope (``success``, ``errors``,
``messages``, ``result``, ``result_info``), paginates as the official SDK reads it (page numbers
until an empty page; cursors for rulesets and list items), validates each endpoint with
Cloudflare's error codes, logs every request, counts every request on its own side (a
:class:`~cloudcore.testing.wire.WireTally`, attached to the providers :func:`fake_target` yields),
and injects faults (429 with ``Retry-After``, 503, latency) from a
:class:`~cloudcore.testing.faults.FaultQueue`.

Each zone is on a plan (Free unless ``plans`` says otherwise) and the fake enforces that plan's
documented WAF limits (:mod:`cloudcore_cloudflare.plans`); change it with
``fake.state.set_plan("example.com", "business")``.

R2 storage goes to a moto server standing in for R2's S3 endpoint
(:class:`~cloudcore_cloudflare._r2fake.R2StandIn`); its requests are counted with the fake's and
take faults from the same queue.

Use it to test your own code offline::

    from cloudcore_cloudflare.testing import fake_target

    with fake_target(zones=("example.com",)) as cloud:
        cloud.create_dns_record("www.example.com", "192.0.2.10")
        assert cloud.list_dns_records("example.com")[0].values == ("192.0.2.10",)

or start the server alone and point the official SDK (or cloudcore) at ``fake.base_url``::

    with FakeCloudflare() as fake:
        client = cloudflare.Cloudflare(api_token=fake.token, base_url=fake.base_url)
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from cloudcore.testing.faults import FaultQueue, attach
from cloudcore.testing.wire import WireTally, attach_wire_counter

from ._fakestate import ApiError, FakeState
from ._routes import route

if TYPE_CHECKING:
    from .provider import CloudflareProvider

__all__ = ["FakeCloudflare", "RequestRecord", "fake_target", "is_mutating"]

DEFAULT_ACCOUNT = "0123456789abcdef0123456789abcdef"
DEFAULT_TOKEN = "cloudcore-fake-token"
TARGET_PLAN = "pro"
"""The plan of :func:`fake_target`'s zones unless told otherwise: the conformance suite's sample
rules (a 60 s rate limit, the Managed and OWASP rulesets) need a paid plan."""

READ_ONLY_POSTS = frozenset({"/graphql"})
"""POST paths that only read: the GraphQL Analytics API takes queries as POST bodies and has no
mutations (https://developers.cloudflare.com/analytics/graphql-api/). The fake serves none of
them today; the classifier knows them so a future route is counted right."""


def is_mutating(method: str, path: str) -> bool:
    """Whether a request changes state, judged by the request itself (method and path)."""
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not (method == "POST" and path.rstrip("/") in READ_ONLY_POSTS)


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake served: method, path (without ``/client/v4``) and status."""

    method: str
    path: str
    status: int

    @property
    def mutating(self) -> bool:
        """Whether the request writes (see :func:`is_mutating`)."""
        return is_mutating(self.method, self.path)


class FakeCloudflare:
    """The fake Cloudflare API server. A context manager; or call :meth:`start`/:meth:`stop`.

    Args:
        zones: Zone names that exist in the account.
        account_id: The account id.
        token: The API token it accepts (``Authorization: Bearer ...``).
        batch_limit: Operations allowed per DNS batch request (200, as on the Free plan).
        plans: Plan per zone name (``free``, ``pro``, ``business``, ``enterprise``); the others
            are on the Free plan.

    Attributes:
        state: The data (:class:`~cloudcore_cloudflare._fakestate.FakeState`).
        faults: The fault queue; each request calls ``take(None, "METHOD /path", mutating)``.
        requests: Every request served, in order.
        wire: Every request that reached the server, counted as it arrived (reads and writes
            told apart by :func:`is_mutating`), including refused and fault-injected ones.
    """

    def __init__(
        self,
        zones: tuple[str, ...] | list[str] = ("example.com", "example.org"),
        *,
        account_id: str = DEFAULT_ACCOUNT,
        token: str = DEFAULT_TOKEN,
        batch_limit: int = 200,
        plans: dict[str, str] | None = None,
    ) -> None:
        self.state = FakeState(tuple(z.lower() for z in zones), account_id, batch_limit, plans)
        self.wire = WireTally()
        self.account_id = account_id
        self.token = token
        self.faults = FaultQueue()
        self.requests: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/client/v4``: pass it as the SDK's ``base_url``."""
        if self._server is None:
            raise RuntimeError("the fake Cloudflare API is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/client/v4"

    def start(self) -> FakeCloudflare:
        """Start serving on a free port of 127.0.0.1 (in a daemon thread)."""
        if self._server is None:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            server.daemon_threads = True
            server.fake = self  # type: ignore[attr-defined]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fake-cloudflare",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeCloudflare:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget all data, logged requests and queued faults (zones keep their names)."""
        self.state.reset()
        self.faults.clear()
        self.clear_log()

    # ----------------------------------------------------------- request log
    def clear_log(self) -> None:
        """Forget the logged requests."""
        with self._log_lock:
            self.requests.clear()

    def write_requests(self) -> int:
        """How many writing requests (POST/PUT/PATCH/DELETE) were served."""
        with self._log_lock:
            return sum(1 for r in self.requests if r.mutating)

    def read_requests(self) -> int:
        """How many GET requests were served."""
        with self._log_lock:
            return sum(1 for r in self.requests if not r.mutating)

    def zone_id(self, name: str) -> str:
        """The id of zone ``name``."""
        for zid, zone in self.state.zones.items():
            if zone["name"] == name:
                return zid
        raise KeyError(name)

    def _log(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self.requests.append(RequestRecord(method, path, status))

    # -------------------------------------------------------------- dispatch
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one request: ``(status, envelope, extra headers)``."""
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/client/v4"):
            path = path[len("/client/v4") :]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        mutating = is_mutating(method, path)
        fault = self.faults.take(None, f"{method} {path}", mutating)
        if fault is not None:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
            elif fault.kind == "throttle":
                wait = fault.retry_after if fault.retry_after is not None else 1.0
                env = _envelope(
                    None, None, [ApiError(429, 971, "Please wait and consider throttling")]
                )
                return 429, env, {"Retry-After": _retry_after(wait)}
            else:
                env = _envelope(
                    None, None, [ApiError(503, 10001, "Service temporarily unavailable")]
                )
                return 503, env, {}
        auth = headers.get("authorization", "")
        if auth != f"Bearer {self.token}":
            return 403, _envelope(None, None, [ApiError(403, 9109, "Invalid access token")]), {}
        try:
            payload: Any = json.loads(body) if body else {}
        except ValueError:
            err = ApiError(400, 6007, "Malformed JSON in request body")
            return 400, _envelope(None, None, [err]), {}
        try:
            with self.state.lock:
                status, result, info = route(self.state, method, path, query, payload)
        except ApiError as err:
            return err.status, _envelope(None, None, [err]), {}
        return status, _envelope(result, info, []), {}


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.3f}"


def _envelope(result: Any, info: Any, errors: list[ApiError]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "success": not errors,
        "errors": [e.as_error() for e in errors],
        "messages": [],
        "result": result,
    }
    if info is not None:
        env["result_info"] = info
    return env


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms ACK stalls
    server_version = "fake-cloudflare/1"

    def _serve(self) -> None:
        fake: FakeCloudflare = self.server.fake  # type: ignore[attr-defined]
        path = urlsplit(self.path).path.removeprefix("/client/v4")
        fake.wire.count(f"{self.command} {path}", mutating=is_mutating(self.command, path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, env, extra = fake.handle(self.command, self.path, headers, body)
        except Exception as exc:  # a bug in the fake: answer 500 rather than hang the client
            err = ApiError(500, 10000, f"fake error: {exc}")
            status, env, extra = 500, _envelope(None, None, [err]), {}
        data = json.dumps(env, separators=(",", ":")).encode()
        # log first: the client may act on the answer before this thread runs again
        fake._log(self.command, path, status)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""


@contextlib.contextmanager
def fake_target(
    zones: tuple[str, ...] | list[str] = ("example.com", "example.org"),
    *,
    fake: FakeCloudflare | None = None,
    plan: str = TARGET_PLAN,
    **options: Any,
) -> Iterator[CloudflareProvider]:
    """Start a fake Cloudflare API and yield a connected :class:`CloudflareProvider`.

    The provider uses the official SDK over real HTTP to the fake, has the fake's fault queue
    attached (``cloudcore.testing.faults.injector_for(provider)``) and its wire counter
    (``cloudcore.testing.wire.wire_counter_for(provider)``), and is closed (and the fake
    stopped, unless you passed your own ``fake``) when the block ends.

    Args:
        zones: Zone names the fake holds (and the provider manages).
        fake: A running :class:`FakeCloudflare` to use instead of starting one (its zones keep
            the plans it was made with).
        plan: The plan of the zones of a fake started here (default Pro: see
            :data:`TARGET_PLAN`).
        **options: More :class:`CloudflareProvider` options (``batch_size``, ``retry``...).
    """
    import cloudflare

    from ._r2fake import R2StandIn
    from .provider import CloudflareProvider

    own = fake is None
    server = fake or FakeCloudflare(zones, plans=dict.fromkeys(zones, plan))
    server.start()
    r2 = R2StandIn(server.faults, server.wire)
    try:
        client = cloudflare.Cloudflare(api_token=server.token, base_url=server.base_url)
        options.setdefault("retry", {"initial_delay": 0.01, "max_delay": 0.1, "jitter": 0.01})
        provider = CloudflareProvider(
            zones=tuple(zones),
            account_id=server.account_id,
            client=client,
            **r2.options(),
            **options,
        )
        provider.dns_page_size = 100  # small pages, so tests cross page boundaries cheaply
        attach(provider, server.faults)
        attach_wire_counter(provider, r2.wire)
        r2.attach(provider)
        provider.fake = server
        provider.r2_stand_in = r2
        try:
            yield provider
        finally:
            provider.close()
    finally:
        r2.stop()
        if own:
            server.stop()

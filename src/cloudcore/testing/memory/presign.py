"""The memory driver's object endpoint: presigned URLs, public reads and CORS over plain HTTP.

A :class:`PresignServer` listens on ``127.0.0.1`` (a free port) in a daemon thread of the process
that owns the provider; it starts with the first ``presign`` (or the first public bucket) and
stops with ``provider.close()``. URLs carry their expiry (Unix milliseconds) and an HMAC-SHA256
over the method, bucket, key, expiry and signed content type, keyed by a random secret that never
leaves the process, so a URL cannot be altered or reused after it expires. The answers follow
S3's for the same requests (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html):

* an expired URL: ``403 AccessDenied`` "Request has expired"; a wrong signature, or a PUT whose
  ``Content-Type`` differs from the signed one: ``403 SignatureDoesNotMatch``;
* a PUT without ``Content-Length``: ``411 MissingContentLength``; above 5 GiB:
  ``400 EntityTooLarge``;
* an unsigned GET or HEAD: served only from a ``public_read`` bucket, else ``403``; an unsigned
  PUT: always ``403`` (public buckets are never publicly writable);
* ``OPTIONS`` preflight and the ``Access-Control-Allow-Origin`` header follow the bucket's
  ``cors_origins`` (one ``*`` wildcard per origin, as S3's ``AllowedOrigin``:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html).

Requests go through the provider's own primitives, so they are counted and subject to injected
faults (answered ``503 SlowDown`` / ``500 InternalError``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape

from ...errors import CloudcoreError, NotFound, RateLimited
from ...models.storage import check_content_type, check_object_key

if TYPE_CHECKING:
    from .storage import MemoryStorage

__all__ = ["PresignServer", "origin_allowed"]

EXPIRES = "X-Cloudcore-Expires"
CONTENT_TYPE = "X-Cloudcore-Content-Type"
SIGNATURE = "X-Cloudcore-Signature"
MAX_PUT = 5 * 1024**3


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    """Whether a request ``Origin`` matches one of a bucket's CORS origins."""
    for rule in allowed:
        if rule == "*" or rule == origin:
            return True
        if "*" in rule:
            head, _, tail = rule.partition("*")
            if origin.startswith(head) and origin.endswith(tail) and len(origin) > len(rule) - 1:
                return True
    return False


class PresignServer:
    """Signs URLs and serves them (see the module docs).

    Args:
        storage: The provider whose objects it serves (held weakly: the server stops when the
            provider is closed or collected).
    """

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = weakref.ref(storage)
        self._key = secrets.token_bytes(32)
        handler = type("Handler", (_Handler,), {"presigner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.endpoint = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="cloudcore-memory-objects",
            daemon=True,
        )
        self._thread.start()
        weakref.finalize(storage, _stop_soon, self._httpd)

    @property
    def storage(self) -> MemoryStorage | None:
        """The provider served (``None`` once it is gone)."""
        return self._storage()

    def sign(
        self, method: str, bucket: str, key: str, expires_in: int, content_type: str | None
    ) -> str:
        """A URL for ``method`` on one object, valid for ``expires_in`` seconds from now."""
        expires = int((time.time() + expires_in) * 1000)
        query = {EXPIRES: str(expires)}
        if content_type:
            query[CONTENT_TYPE] = content_type
        query[SIGNATURE] = self._signature(method, bucket, key, expires, content_type)
        path = f"/{bucket}/{quote(key, safe='/')}"
        return f"{self.endpoint}{path}?{urlencode(query, quote_via=quote)}"

    def _signature(
        self, method: str, bucket: str, key: str, expires: int, content_type: str | None
    ) -> str:
        text = "\n".join((method, bucket, key, str(expires), content_type or ""))
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def check(
        self, method: str, bucket: str, key: str, query: dict[str, str]
    ) -> tuple[str, str] | None:
        """``(code, message)`` when the signed request must be refused, ``None`` when valid."""
        try:
            expires = int(query.get(EXPIRES, ""))
        except ValueError:
            return "AuthorizationQueryParametersError", "the expiry is missing or malformed"
        content_type = query.get(CONTENT_TYPE)
        want = self._signature(method, bucket, key, expires, content_type)
        if not hmac.compare_digest(want, query.get(SIGNATURE, "")):
            return "SignatureDoesNotMatch", "the signature does not match this request"
        if time.time() * 1000 > expires:
            return "AccessDenied", "Request has expired"
        return None

    def close(self) -> None:
        """Stop serving (waits for the listening thread)."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _stop_soon(httpd: ThreadingHTTPServer) -> None:
    # called when the provider is collected without close(): shut down from another thread,
    # since shutdown() waits for the serving thread (which might be the one collecting)
    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()

    threading.Thread(target=stop, daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    presigner: PresignServer
    server_version = "cloudcore-memory"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the CLI own stderr."""

    # ----------------------------------------------------------- plumbing
    def _target(self) -> tuple[str, str, dict[str, str]] | None:
        parts = urlsplit(self.path)
        bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
        try:
            check_object_key(key)
        except ValueError:
            return None
        return bucket, key, dict(parse_qsl(parts.query, keep_blank_values=True))

    def _cors(self, allowed: tuple[str, ...]) -> None:
        origin = self.headers.get("Origin")
        if origin and origin_allowed(origin, allowed):
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")

    def _error(self, status: int, code: str, message: str) -> None:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        ).encode()
        self.close_connection = True  # an unread request body must not poison the connection
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _fault(self, exc: CloudcoreError) -> None:
        if isinstance(exc, NotFound):
            self._error(404, "NoSuchKey", "The specified key does not exist.")
        elif isinstance(exc, RateLimited):
            self._error(503, "SlowDown", "Please reduce your request rate.")
        else:
            self._error(500, "InternalError", "We encountered an internal error.")

    # ----------------------------------------------------------- methods
    def do_GET(self) -> None:
        self._read(head=False)

    def do_HEAD(self) -> None:
        self._read(head=True)

    def _read(self, head: bool) -> None:
        storage, target = self.presigner.storage, self._target()
        if storage is None or target is None:
            self._error(400, "InvalidRequest", "no such endpoint or an invalid key")
            return
        bucket, key, query = target
        config = storage._http_bucket(bucket)
        if SIGNATURE in query or EXPIRES in query:
            refused = self.presigner.check("GET", bucket, key, query) if not head else None
            if head or refused:
                code, message = refused or ("SignatureDoesNotMatch", "signed for GET only")
                self._error(403, code, message)
                return
        elif config is None or not config.public_read:
            self._error(403, "AccessDenied", "Access Denied")
            return
        if config is None:
            self._error(404, "NoSuchBucket", "The specified bucket does not exist")
            return
        try:
            stream = storage._http_get(bucket, key)
        except CloudcoreError as exc:
            self._fault(exc)
            return
        try:
            info = stream.info
            self.send_response(200)
            self.send_header("Content-Length", str(info.size))
            self.send_header("Content-Type", info.content_type or "application/octet-stream")
            self.send_header("ETag", info.etag or "")
            self.send_header("x-cloudcore-checksum", info.checksum or "")
            self._cors(config.cors_origins)
            self.end_headers()
            if not head:
                for chunk in stream.chunks:
                    self.wfile.write(chunk)
        finally:
            if stream.close is not None:
                stream.close()

    def do_PUT(self) -> None:
        storage, target = self.presigner.storage, self._target()
        if storage is None or target is None:
            self._error(400, "InvalidRequest", "no such endpoint or an invalid key")
            return
        bucket, key, query = target
        if SIGNATURE not in query:
            self._error(403, "AccessDenied", "Access Denied")
            return
        refused = self.presigner.check("PUT", bucket, key, query)
        signed_type = query.get(CONTENT_TYPE)
        sent_type = self.headers.get("Content-Type")
        if refused is None and signed_type is not None and sent_type != signed_type:
            refused = ("SignatureDoesNotMatch", "the Content-Type differs from the signed one")
        if refused:
            self._error(403, *refused)
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit() or self.headers.get("Transfer-Encoding"):
            self._error(411, "MissingContentLength", "You must provide the Content-Length")
            return
        if int(length) > MAX_PUT:
            self._error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum size")
            return
        config = storage._http_bucket(bucket)
        if config is None:
            self._error(404, "NoSuchBucket", "The specified bucket does not exist")
            return
        try:
            check_content_type(sent_type or "")
        except ValueError:
            sent_type = None
        try:
            info = storage._http_put(bucket, key, self.rfile, int(length), sent_type)
        except CloudcoreError as exc:
            self._fault(exc)
            return
        except ConnectionError:
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("ETag", info.etag or "")
        self.send_header("Content-Length", "0")
        self._cors(config.cors_origins)
        self.end_headers()

    def do_OPTIONS(self) -> None:
        storage, target = self.presigner.storage, self._target()
        config = storage._http_bucket(target[0]) if storage and target else None
        origin = self.headers.get("Origin", "")
        method = self.headers.get("Access-Control-Request-Method", "")
        if config is None or method not in ("GET", "PUT", "HEAD"):
            self._error(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.")
            return
        if not origin_allowed(origin, config.cors_origins):
            self._error(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.")
            return
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Access-Control-Allow-Methods", "GET, PUT, HEAD")
        requested = self.headers.get("Access-Control-Request-Headers")
        if requested:
            self.send_header("Access-Control-Allow-Headers", requested)
        self.send_header("Access-Control-Max-Age", "3000")
        self.send_header("Vary", "Origin")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        self._error(405, "MethodNotAllowed", "The specified method is not allowed")

    do_DELETE = do_POST

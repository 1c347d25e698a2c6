"""The object endpoint of the directory store: presigned URLs, public reads and CORS over HTTP.

Standard library only. The ``local`` and ``baremetal`` drivers copy this file and
:mod:`._dirstore` into ``<state_dir>/storage/endpoint/`` and run it under the host's process
manager (cloudcore's supervisord, or systemd), as ``python3 _objectd.py ENDPOINT_DIR ROOT``.
It reads ``hmac.key`` (32 random bytes, hex, mode 0600, written by the driver over stdin) and
``endpoint.json`` (``bind``, ``port``) from ``ENDPOINT_DIR``, listens, and records the port it
got in ``listening.json`` (it asks for the same port again after a restart, so issued URLs keep
working).

URLs carry their expiry (Unix milliseconds) and an HMAC-SHA256 over method, bucket, key, expiry
and the signed content type, so a URL cannot be altered, used for another object or method, or
used after it expires. Answers follow S3's for the same requests
(https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): expired ``403
AccessDenied``; bad signature or a different ``Content-Type`` ``403 SignatureDoesNotMatch``; no
``Content-Length`` ``411``; above 5 GiB ``400 EntityTooLarge``; unsigned reads only from
``public_read`` buckets; unsigned writes never; ``OPTIONS`` preflight per the bucket's
``cors_origins`` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html).
``GET /-/health`` answers ``200 ok`` (no bucket name starts with ``-``).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape

if __package__:
    ds: Any = importlib.import_module(f"{__package__}._dirstore")
else:  # run as a script on a host, next to _dirstore.py
    ds = importlib.import_module("_dirstore")

__all__ = ["EXPIRES", "SIGNATURE", "check", "origin_allowed", "sign_url", "signature"]

EXPIRES = "X-Cloudcore-Expires"
CONTENT_TYPE = "X-Cloudcore-Content-Type"
SIGNATURE = "X-Cloudcore-Signature"
MAX_PUT = 5 * 1024**3


def signature(
    secret: bytes, method: str, bucket: str, key: str, expires: int, content_type: str | None
) -> str:
    """The HMAC-SHA256 (hex) a URL carries."""
    text = "\n".join((method, bucket, key, str(expires), content_type or ""))
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def sign_url(
    base: str,
    secret: bytes,
    method: str,
    bucket: str,
    key: str,
    expires_in: int,
    content_type: str | None,
) -> str:
    """A URL for ``method`` on one object, valid for ``expires_in`` seconds from now."""
    expires = int((time.time() + expires_in) * 1000)
    query = {EXPIRES: str(expires)}
    if content_type:
        query[CONTENT_TYPE] = content_type
    query[SIGNATURE] = signature(secret, method, bucket, key, expires, content_type)
    return f"{base}/{bucket}/{quote(key, safe='/')}?{urlencode(query, quote_via=quote)}"


def check(
    secret: bytes, method: str, bucket: str, key: str, query: dict[str, str]
) -> tuple[str, str] | None:
    """``(code, message)`` when a signed request must be refused, ``None`` when valid."""
    try:
        expires = int(query.get(EXPIRES, ""))
    except ValueError:
        return "AuthorizationQueryParametersError", "the expiry is missing or malformed"
    want = signature(secret, method, bucket, key, expires, query.get(CONTENT_TYPE))
    if not hmac.compare_digest(want, query.get(SIGNATURE, "")):
        return "SignatureDoesNotMatch", "the signature does not match this request"
    if time.time() * 1000 > expires:
        return "AccessDenied", "Request has expired"
    return None


def origin_allowed(origin: str, allowed: list[str]) -> bool:
    """Whether a request ``Origin`` matches a bucket's CORS origins (one ``*`` per rule)."""
    for rule in allowed:
        if rule in ("*", origin):
            return True
        if "*" in rule:
            head, _, tail = rule.partition("*")
            if origin.startswith(head) and origin.endswith(tail) and len(origin) > len(rule) - 1:
                return True
    return False


def _valid_key(key: str) -> bool:
    # the portable key rule (cloudcore.models.storage.check_object_key), for unsigned reads
    if not key or len(key.encode("utf-8", "surrogatepass")) > 1024 or key[0] == "/":
        return False
    if key.endswith("/") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        return False
    return all(part not in ("", ".", "..") for part in key.split("/"))


class Handler(BaseHTTPRequestHandler):
    """Serves one store (``store``) with one signing key (``secret``)."""

    store: Any
    secret: bytes
    server_version = "cloudcore-objects"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request on stderr, without the query (it carries signatures)."""
        sys.stderr.write(f"{self.command} {urlsplit(self.path).path} {args[1:2]}\n")

    def _target(self) -> tuple[str, str, dict[str, str]] | None:
        parts = urlsplit(self.path)
        bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
        if not _valid_key(key) or not bucket or not bucket.replace("-", "").isalnum():
            return None
        return bucket, key, dict(parse_qsl(parts.query, keep_blank_values=True))

    def _config(self, bucket: str) -> dict[str, Any] | None:
        doc = self.store.bucket_doc(bucket)
        return doc["config"] if ds.managed(doc) else None

    def _cors(self, config: dict[str, Any]) -> None:
        origin = self.headers.get("Origin")
        if origin and origin_allowed(origin, config.get("cors_origins") or []):
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

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/-/health":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        self._read(head=False)

    def do_HEAD(self) -> None:
        self._read(head=True)

    def _read(self, head: bool) -> None:
        target = self._target()
        if target is None:
            self._error(400, "InvalidRequest", "no such endpoint or an invalid key")
            return
        bucket, key, query = target
        config = self._config(bucket)
        if SIGNATURE in query or EXPIRES in query:
            refused = None if head else check(self.secret, "GET", bucket, key, query)
            if head or refused:
                code, message = refused or ("SignatureDoesNotMatch", "signed for GET only")
                self._error(403, code, message)
                return
        elif config is None or not config.get("public_read"):
            self._error(403, "AccessDenied", "Access Denied")
            return
        if config is None:
            self._error(404, "NoSuchBucket", "The specified bucket does not exist")
            return
        try:
            doc, chunks, close = self.store.open(bucket, key, None)
        except ds.StoreError as exc:
            self._error(404 if exc.code.startswith("NoSuch") else 503, exc.code, str(exc))
            return
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(doc["size"]))
            self.send_header("Content-Type", doc["content_type"] or "application/octet-stream")
            self.send_header("ETag", f'"{doc["sha256"][:32]}"')
            self.send_header("x-cloudcore-checksum", f"sha256:{doc['sha256']}")
            self._cors(config)
            self.end_headers()
            if not head:
                for chunk in chunks:
                    self.wfile.write(chunk)
        finally:
            close()

    def do_PUT(self) -> None:
        target = self._target()
        if target is None:
            self._error(400, "InvalidRequest", "no such endpoint or an invalid key")
            return
        bucket, key, query = target
        if SIGNATURE not in query:
            self._error(403, "AccessDenied", "Access Denied")
            return
        refused = check(self.secret, "PUT", bucket, key, query)
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
        config = self._config(bucket)
        if config is None:
            self._error(404, "NoSuchBucket", "The specified bucket does not exist")
            return
        if sent_type is not None and (len(sent_type) > 255 or "/" not in sent_type):
            sent_type = None
        try:
            doc = self.store.put(
                bucket,
                key,
                self._body(int(length)),
                content_type=sent_type,
                metadata={},
                expect_size=int(length),
            )
        except ds.StoreError as exc:
            self._error(404 if exc.code.startswith("NoSuch") else 400, exc.code, str(exc))
            return
        except ConnectionError:
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("ETag", f'"{doc["sha256"][:32]}"')
        self.send_header("Content-Length", "0")
        self._cors(config)
        self.end_headers()

    def _body(self, length: int) -> Iterator[bytes]:
        left = length
        while left:
            chunk = self.rfile.read(min(ds.CHUNK, left))
            if not chunk:
                raise ConnectionError("the client sent less than its Content-Length")
            left -= len(chunk)
            yield chunk

    def do_OPTIONS(self) -> None:
        target = self._target()
        config = self._config(target[0]) if target else None
        origin = self.headers.get("Origin", "")
        method = self.headers.get("Access-Control-Request-Method", "")
        if (
            config is None
            or method not in ("GET", "PUT", "HEAD")
            or not origin_allowed(origin, config.get("cors_origins") or [])
        ):
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


def serve(endpoint_dir: str, root: str) -> None:
    """Listen as ``endpoint.json`` says, record the port, serve until killed."""
    fs = ds.LocalFS()
    with open(os.path.join(endpoint_dir, "hmac.key")) as fh:
        secret = bytes.fromhex(fh.read().strip())
    with open(os.path.join(endpoint_dir, "endpoint.json")) as fh:
        conf = json.load(fh)
    bind, port = str(conf.get("bind") or "127.0.0.1"), int(conf.get("port") or 0)
    previous = ds._parse(fs.read(os.path.join(endpoint_dir, "listening.json"))) or {}
    handler = type("Bound", (Handler,), {"store": ds.DirStore(fs, root), "secret": secret})
    httpd = None
    for want in ([previous["port"]] if not port and previous.get("port") else []) + [port]:
        try:
            httpd = ThreadingHTTPServer((bind, int(want)), handler)
            break
        except OSError:
            if want == port:
                raise
    assert httpd is not None
    httpd.daemon_threads = True
    got = httpd.server_address[1]
    doc = {"bind": bind, "port": got, "pid": os.getpid()}
    fs.write_atomic(os.path.join(endpoint_dir, "listening.json"), [json.dumps(doc).encode()])
    httpd.serve_forever(poll_interval=0.2)


if __name__ == "__main__":  # pragma: no cover - run by the process manager
    serve(sys.argv[1], sys.argv[2])

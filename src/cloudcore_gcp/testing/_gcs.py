"""Cloud Storage for the gcp test target: the independent ``gcp-storage-emulator`` behind a thin
proxy that adds what a test needs and the emulator lacks.

The emulator (PyPI ``gcp-storage-emulator``) runs as its own process with a data folder, started
here over real HTTP on 127.0.0.1. Measured gaps, each closed or declared:

* It never checks V4 signatures or expiry (it serves ``/<bucket>/<object>`` to anyone). The
  proxy verifies every signed URL exactly as the documentation defines it
  (https://cloud.google.com/storage/docs/authentication/canonical-requests and
  https://cloud.google.com/storage/docs/authentication/signatures): canonical request, string to
  sign, RSA-SHA256 with the test service account's public key, ``X-Goog-Date`` +
  ``X-Goog-Expires`` in the past refused. Unsigned ``/<bucket>/<object>`` requests are served
  only for buckets whose IAM policy grants ``allUsers`` read, as Google does.
* It ignores ``maxResults`` / ``pageToken`` on object listings (answers everything at once). The
  proxy pages its answer as the API does (lexicographic order, opaque ``nextPageToken``:
  https://cloud.google.com/storage/docs/json_api/v1/objects/list) so pagination is exercised.
* It has no object generations (versioning): the target declares ``versioning`` unsupported.
* It drops every field but the name on bucket insert: the driver converges with one PATCH.
* It keeps data in its own process (``--in-memory``: its disk mode cannot store a 1,024-byte
  key, a file name longer than 255 bytes), so stored bytes cannot be damaged behind its back;
  the proxy damages the media download of an object marked with :meth:`GcsStandIn.corrupt`
  instead (what a broken replica or network does), keeping Google's checksums unchanged.

The proxy also counts every request (a :class:`~cloudcore.testing.wire.WireTally`) and answers
injected faults (429 with ``Retry-After``, 503), sharing the fake GCP server's tally and queue.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from cloudcore.testing.faults import FaultQueue
from cloudcore.testing.wire import WireTally

__all__ = ["GcsStandIn", "canonical_v4", "signing_credentials"]

SA_EMAIL = "cloudcore-test@fake-project.iam.gserviceaccount.com"


def signing_credentials() -> tuple[Any, Any]:
    """A service account with a fresh RSA key (it only signs; it never asks for a token), and
    the key's public half (what Google would publish for it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.oauth2 import service_account

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "fake-project",
        "private_key_id": "cloudcore-test-key",
        "private_key": pem,
        "client_email": SA_EMAIL,
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    creds = service_account.Credentials.from_service_account_info(info)  # type: ignore[no-untyped-call]
    return creds, key.public_key()


def canonical_v4(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> str:
    """The V4 canonical request of a signed URL (query without ``X-Goog-Signature``), built
    from the documentation, not from the client library."""
    q = {k: v for k, v in query.items() if k != "X-Goog-Signature"}
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(q.items())
    )
    signed = q["X-Goog-SignedHeaders"].split(";")
    canonical_headers = "".join(f"{h}:{' '.join(headers[h].split())}\n" for h in signed)
    return "\n".join(
        (
            method,
            quote(path, safe="/~"),
            canonical_query,
            canonical_headers,
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        )
    )


def verify_v4(
    public_key: Any, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> str | None:
    """``None`` when the signed request is valid now, else the refusal's reason."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    need = ("X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires")
    if any(k not in query for k in (*need, "X-Goog-SignedHeaders", "X-Goog-Signature")):
        return "a V4 query parameter is missing"
    if query["X-Goog-Algorithm"] != "GOOG4-RSA-SHA256":
        return "unknown algorithm"
    email, _, scope = query["X-Goog-Credential"].partition("/")
    date = query["X-Goog-Date"]
    if (
        email != SA_EMAIL
        or not scope.startswith(date[:8] + "/")
        or not scope.endswith("/storage/goog4_request")
    ):
        return "bad credential scope"
    signed = query["X-Goog-SignedHeaders"].split(";")
    if "host" not in signed or any(h not in headers for h in signed):
        return "a signed header is missing"
    canonical = canonical_v4(method, path, query, headers)
    to_sign = "\n".join(
        ("GOOG4-RSA-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest())
    )
    try:
        public_key.verify(
            bytes.fromhex(query["X-Goog-Signature"]),
            to_sign.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return "signature"
    start = dt.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    expires = int(query["X-Goog-Expires"])
    if not 1 <= expires <= 604800:
        return "bad expiry"
    if dt.datetime.now(dt.UTC) > start + dt.timedelta(seconds=expires):
        return "expired"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GcsStandIn:
    """The emulator process and the proxy in front of it (see the module docs).

    Args:
        faults: The fault queue the proxy answers from.
        wire: The tally it counts requests in.
        public_key: The test service account's public key (signed URLs are checked with it).
    """

    def __init__(self, faults: FaultQueue, wire: WireTally, public_key: Any) -> None:
        self.faults = faults
        self.wire = wire
        self.public_key = public_key
        self.work = tempfile.mkdtemp(prefix="ccgcs-")
        self.corrupted: dict[tuple[str, str], bool] = {}
        self.port = _free_port()
        self._log = open(os.path.join(self.work, "emulator.log"), "wb")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gcp_storage_emulator",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--in-memory",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_up()
        handler = type("Bound", (_Proxy,), {"standin": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"gcp-storage-emulator exited; see {self._log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gcp-storage-emulator did not answer within 20 s")

    def corrupt(self, bucket: str, key: str, *, truncate: bool) -> None:
        """Damage every later media download of ``bucket/key``: flip its first byte, or drop
        its last one."""
        self.corrupted[(bucket, key)] = truncate

    def stop(self) -> None:
        """Stop the proxy and the emulator; remove the data folder."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def public(self, bucket: str) -> bool:
        """Whether the bucket's IAM policy lets ``allUsers`` read (asked of the emulator)."""
        status, _, body = self.forward("GET", f"/storage/v1/b/{quote(bucket)}/iam", {}, b"")
        if status != 200:
            return False
        for binding in json.loads(body or b"{}").get("bindings", []):
            if binding.get("role") == "roles/storage.objectViewer" and "allUsers" in binding.get(
                "members", []
            ):
                return True
        return False

    def forward(
        self, verb: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request to the emulator; ``(status, headers, body)``."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(verb, target, body=body or None, headers=dict(headers))
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()


_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class _Proxy(BaseHTTPRequestHandler):
    standin: GcsStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in _HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json_error(self, status: int, reason: str, message: str, extra: dict[str, str]) -> None:
        body = json.dumps(
            {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}
        ).encode()
        self._send(status, [("Content-Type", "application/json"), *extra.items()], body)

    def _xml_error(self, status: int, code: str, message: str) -> None:
        body = (
            "<?xml version='1.0' encoding='UTF-8'?>"
            f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        ).encode()
        self._send(status, [("Content-Type", "application/xml")], body)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        path, verb = parts.path, self.command
        mutating = verb not in ("GET", "HEAD")
        self.standin.wire.count(f"{verb} {path}", mutating=mutating)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.standin.faults.take(None, f"{verb} {path}", mutating)
        if fault is not None:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
            elif fault.kind == "throttle":
                extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
                self._json_error(429, "rateLimitExceeded", "injected throttle", extra)
                return
            else:
                self._json_error(503, "backendError", "injected transient failure", {})
                return
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        api = path.startswith(("/storage/v1/", "/upload/", "/download/", "/batch/"))
        if not api and path != "/":
            if not self._xml_allowed(verb, path, query):
                return
            target = path  # the signature is checked; the emulator gets the bare object path
        else:
            target = self.path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        if verb == "GET" and path.endswith("/o") and path.startswith("/storage/v1/b/"):
            self._list_page(path, query, headers)
            return
        status, out_headers, out = self.standin.forward(verb, target, headers, body)
        if verb == "GET" and path.startswith("/download/storage/v1/b/") and out and status == 200:
            bucket, _, key = path[len("/download/storage/v1/b/") :].partition("/o/")
            truncate = self.standin.corrupted.get((unquote(bucket), unquote(key)))
            if truncate is not None:
                out = out[:-1] if truncate else bytes([out[0] ^ 0xFF]) + out[1:]
        self._send(status, out_headers, out)

    def _xml_allowed(self, verb: str, path: str, query: dict[str, str]) -> bool:
        bucket = unquote(path).lstrip("/").split("/", 1)[0]
        if "X-Goog-Signature" not in query:
            if verb in ("GET", "HEAD") and self.standin.public(bucket):
                return True
            self._xml_error(403, "AccessDenied", "Anonymous caller does not have access.")
            return False
        headers = {k.lower(): v for k, v in self.headers.items()}
        why = verify_v4(self.standin.public_key, verb, unquote(path), query, headers)
        if why == "expired":
            self._xml_error(400, "ExpiredToken", "Invalid argument.")
            return False
        if why is not None:
            self._xml_error(403, "SignatureDoesNotMatch", f"Access denied ({why}).")
            return False
        return True

    def _list_page(self, path: str, query: dict[str, str], headers: dict[str, str]) -> None:
        size = int(query.pop("maxResults", "1000") or 1000)
        token = query.pop("pageToken", None)
        if query.get("delimiter"):
            size = 1_000_000  # prefixes are not paged here
        status, out_headers, out = self.standin.forward(
            "GET", f"{path}?{urlencode(query)}", headers, b""
        )
        if status != 200:
            self._send(status, out_headers, out)
            return
        doc = json.loads(out)
        items = sorted(doc.get("items") or [], key=lambda o: o["name"].encode())
        after = base64.urlsafe_b64decode(token).decode() if token else None
        rest = [o for o in items if after is None or o["name"].encode() > after.encode()]
        page = rest[:size]
        doc["items"] = page
        doc.pop("nextPageToken", None)
        if len(rest) > size and page:
            doc["nextPageToken"] = base64.urlsafe_b64encode(page[-1]["name"].encode()).decode()
        self._send(status, [("Content-Type", "application/json")], json.dumps(doc).encode())

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _handle

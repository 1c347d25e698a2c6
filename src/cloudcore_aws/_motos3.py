"""S3 requests answered as S3 documents them where moto is lenient (moto 5.2 checks neither).

* **Presigned URLs** (query-string SigV4: ``X-Amz-Signature`` in the query): refused with
  ``403 AccessDenied`` "Request has expired" after ``X-Amz-Date`` + ``X-Amz-Expires``, and with
  ``403 SignatureDoesNotMatch`` when the signature does not match the request as received
  (method, path, query, signed headers such as ``Content-Type``) under the target's secret key
  (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
* **Body checksums**: a ``PutObject`` / ``UploadPart`` whose body does not match its
  ``x-amz-checksum-sha256`` or ``Content-MD5`` header is refused with ``400 BadDigest``
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from calendar import timegm
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote

__all__ = ["S3_SECRET", "check_body", "check_presigned"]

S3_SECRET = "testing"
"""The secret access key of the test target's credentials (moto accepts any)."""

MAX_EXPIRES = 7 * 24 * 3600

Response = Callable[[Callable[..., Any]], Iterable[bytes]]


def _error(status: str, code: str, message: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>cloudcore-strict</RequestId></Error>"
    ).encode()

    def respond(start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(
            status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return respond


def _uri_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def check_presigned(environ: dict[str, Any], now: float | None = None) -> Response | None:
    """The refusal of a presigned request that S3 would refuse, or ``None`` to let it through."""
    raw_query = str(environ.get("QUERY_STRING", ""))
    if "X-Amz-Signature=" not in raw_query:
        return None
    params = parse_qsl(raw_query, keep_blank_values=True)
    query = dict(params)
    try:
        amz_date = query["X-Amz-Date"]
        expires = int(query["X-Amz-Expires"])
        signed = time.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        credential = query["X-Amz-Credential"]
        signed_headers = query["X-Amz-SignedHeaders"].split(";")
        signature = query["X-Amz-Signature"]
    except (KeyError, ValueError):
        return _error("400 Bad Request", "AuthorizationQueryParametersError", "bad query auth")
    if not 1 <= expires <= MAX_EXPIRES:
        return _error(
            "400 Bad Request",
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be between 1 and 604800 seconds",
        )
    if (now if now is not None else time.time()) > timegm(signed) + expires:
        return _error("403 Forbidden", "AccessDenied", "Request has expired")
    raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    path = raw_uri.split("?", 1)[0] or quote(str(environ.get("PATH_INFO", "/")))
    canonical_query = "&".join(
        f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(params) if k != "X-Amz-Signature"
    )
    headers = []
    for name in signed_headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        if name == "content-type":
            key = "CONTENT_TYPE"
        elif name == "content-length":
            key = "CONTENT_LENGTH"
        headers.append(f"{name}:{' '.join(str(environ.get(key, '')).split())}\n")
    canonical = "\n".join(
        [
            str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path,
            canonical_query,
            "".join(headers),
            ";".join(signed_headers),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = credential.split("/", 1)[1] if "/" in credential else ""
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing_key = ("AWS4" + S3_SECRET).encode()
    for part in scope.split("/"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return _error(
            "403 Forbidden",
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided",
        )
    return None


def _aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """The payload and trailers of an ``aws-chunked`` body
    (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html)."""
    data, pos = bytearray(), 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";", 1)[0], 16)
        pos = end + 2
        if size == 0:
            break
        data += body[pos : pos + size]
        pos += size + 2
    trailers = {}
    for line in body[pos:].split(b"\r\n"):
        name, sep, value = line.decode("latin-1").partition(":")
        if sep:
            trailers[name.strip().lower()] = value.strip()
    return bytes(data), trailers


def check_body(environ: dict[str, Any], body: bytes) -> Response | None:
    """``400 BadDigest`` when ``body`` does not match the checksum headers (or, for an
    ``aws-chunked`` body, trailers) sent with it."""
    sha = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
    if "aws-chunked" in str(environ.get("HTTP_CONTENT_ENCODING", "")) or environ.get(
        "HTTP_X_AMZ_DECODED_CONTENT_LENGTH"
    ):
        try:
            body, trailers = _aws_chunked(body)
        except ValueError:
            return _error("400 Bad Request", "IncompleteBody", "malformed aws-chunked body")
        sha = trailers.get("x-amz-checksum-sha256", sha)
    if sha and base64.b64encode(hashlib.sha256(body).digest()).decode() != sha:
        return _error(
            "400 Bad Request",
            "BadDigest",
            "The SHA256 you specified did not match the calculated checksum.",
        )
    md5 = environ.get("HTTP_CONTENT_MD5")
    if md5 and base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode() != md5:
        return _error(
            "400 Bad Request",
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        )
    return None

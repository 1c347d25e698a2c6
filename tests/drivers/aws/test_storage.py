"""S3 storage on the moto server: what the stand-in must refuse (as S3 documents), checksums on
the wire, resumed downloads, and the requests each operation costs."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

import cloudcore
from cloudcore.errors import IntegrityError, NotFound
from cloudcore.models.storage import BucketConfig
from cloudcore_aws._errors import map_error
from cloudcore_aws._motos3 import check_presigned
from cloudcore_aws.testing import MotoTarget


def _http(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> int:
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture
def bucket(aws: MotoTarget) -> str:
    aws.provider.create_bucket(BucketConfig(name="wire-bucket"))
    return "wire-bucket"


# ---------------------------------------------------------------- the stand-in's contract
def test_stand_in_refuses_tampered_and_mistyped_presigned_urls(
    aws: MotoTarget, bucket: str
) -> None:
    cloud = aws.provider
    url = cloud.presign(bucket, "doc.csv", "PUT", 60, content_type="text/csv")
    ok = {"Content-Type": "text/csv"}
    assert _http(url, "PUT", b"a,b", **ok) == 200
    assert _http(url, "PUT", b"a,b", **{"Content-Type": "text/html"}) == 403  # signed type
    assert _http(url.replace("doc.csv", "other.csv"), "PUT", b"x", **ok) == 403  # another key
    assert _http(url.replace("X-Amz-Expires=60", "X-Amz-Expires=600"), "PUT", b"x", **ok) == 403
    get = cloud.presign(bucket, "doc.csv")
    assert _http(get) == 200
    assert _http(get, "DELETE") == 403, "a GET URL must not delete"


def test_stand_in_refuses_expired_url_by_its_own_clock(aws: MotoTarget, bucket: str) -> None:
    url = aws.provider.presign(bucket, "k", "GET", 5)
    environ = {
        "QUERY_STRING": url.split("?", 1)[1],
        "REQUEST_METHOD": "GET",
        "RAW_URI": url[len(aws.url) :],
        "HTTP_HOST": aws.url.removeprefix("http://"),
    }
    now = time.time()
    assert check_presigned(environ, now=now) is None, "a valid URL was refused"
    assert check_presigned(environ, now=now + 10) is not None, "an expired URL was let through"
    assert check_presigned({**environ, "HTTP_HOST": "evil.example"}, now=now) is not None


def test_stand_in_refuses_a_body_that_does_not_match_its_checksum(
    aws: MotoTarget, bucket: str
) -> None:
    plain = aws.client("s3")
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(Exception) as info:
        plain.put_object(
            Bucket=bucket, Key="k", Body=b"data", ChecksumAlgorithm="SHA256", ChecksumSHA256=wrong
        )
    assert isinstance(map_error(info.value), IntegrityError)
    md5 = base64.b64encode(hashlib.md5(b"other", usedforsecurity=False).digest()).decode()
    with pytest.raises(Exception) as info:
        plain.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=md5)
    assert isinstance(map_error(info.value), IntegrityError)
    with pytest.raises(NotFound):
        aws.provider.head_object(bucket, "k")


# ---------------------------------------------------------------- what the driver sends
def test_every_upload_request_carries_a_sha256_of_its_body(aws: MotoTarget, bucket: str) -> None:
    cloud = aws.provider
    sent: list[tuple[str, str | None, str]] = []

    def spy(request: Any = None, event_name: str = "", **_: Any) -> None:
        body = request.body
        if hasattr(body, "read"):
            start = body.tell()
            body, _ = body.read(), body.seek(start)
        sha = base64.b64encode(hashlib.sha256(body or b"").digest()).decode()
        header = request.headers.get("x-amz-checksum-sha256")
        header = header.decode() if isinstance(header, bytes) else header
        sent.append((event_name.rsplit(".", 1)[-1], header, sha))

    cloud._s3().meta.events.register("before-send.s3", spy)
    try:
        data = bytes(range(256)) * (cloud.multipart_threshold // 256 * 2 + 3)
        info = cloud.put_object(bucket, "big", data)
        cloud.put_object(bucket, "small", b"tiny")
    finally:
        cloud._s3().meta.events.unregister("before-send.s3", spy)
    ops = [op for op, _, _ in sent]
    assert ops.count("UploadPart") == 3 and "CompleteMultipartUpload" in ops and "PutObject" in ops
    for op, header, actual in sent:
        if op in ("UploadPart", "PutObject"):
            assert header == actual, f"{op}: x-amz-checksum-sha256 is not the body's"
    assert info.checksum == "sha256:" + hashlib.sha256(data).hexdigest()
    head = aws.client("s3").head_object(Bucket=bucket, Key="big")
    assert head["Metadata"]["cloudcore-sha256"] == hashlib.sha256(data).hexdigest()


def test_requests_per_operation(aws: MotoTarget, bucket: str) -> None:
    """A warm provider spends one request per object operation (the managed check is cached)."""
    cloud = aws.provider
    cloud.put_object(bucket, "warm", b"w")
    with cloudcore.record() as rec:
        cloud.put_object(bucket, "a", b"1")
        with cloud.get_object(bucket, "a") as reader:
            reader.read()
        cloud.head_object(bucket, "a")
        list(cloud.list_objects(bucket))
        cloud.delete_object(bucket, "a")
    ops = [c.operation for c in rec.api_calls if c.provider == "aws"]
    assert ops == ["PutObject", "GetObject", "HeadObject", "ListObjectsV2", "DeleteObject"], ops


# ---------------------------------------------------------------- ranged resume
class _CuttingProxy:
    """A TCP proxy to the moto server that cuts the first response carrying an object body
    after ``cut`` bytes (what a dropped connection does); later connections pass through."""

    def __init__(self, upstream: str, cut: int) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.cut = cut
        self.cuts = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream)

        def up() -> None:
            try:
                while data := client.recv(65536):
                    server.sendall(data)
            except OSError:
                pass

        threading.Thread(target=up, daemon=True).start()
        sent = 0
        cutting = False
        try:
            while data := server.recv(65536):
                if not cutting and self.cuts == 0 and b"x-amz-meta-cloudcore-sha256" in data:
                    cutting = True
                if cutting:
                    room = self.cut - sent
                    if len(data) >= room:
                        client.sendall(data[:room])
                        self.cuts += 1
                        break
                    sent += len(data)
                client.sendall(data)
        except OSError:
            pass
        finally:
            # shutdown first: a plain close() does not end the connection while the other
            # thread still waits in recv() on it, and the client would sit out its read timeout
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self.sock.close()


def test_broken_download_resumes_with_a_ranged_read(aws: MotoTarget, bucket: str) -> None:
    from cloudcore_aws.provider import AWSProvider

    data = hashlib.sha256(b"seed").digest() * 40_000  # 1.28 MB
    aws.provider.put_object(bucket, "big", data)
    proxy = _CuttingProxy(aws.url, cut=300_000)
    cloud = AWSProvider(region="us-east-1", endpoint_url=proxy.url, session=aws._session)
    try:
        with cloudcore.record() as rec, cloud.get_object(bucket, "big") as reader:
            got = reader.read()
            assert reader.verified
        assert got == data and proxy.cuts == 1
        gets = [c.operation for c in rec.api_calls if c.operation == "GetObject"]
        assert len(gets) == 2, "one GET, then one ranged GET from where it broke"
    finally:
        cloud.close()
        proxy.close()

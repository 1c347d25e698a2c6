"""The memory driver's object storage: shared across processes, multipart, rollback, versions,
and its presign endpoint (signatures, expiry, methods, content types, public reads, CORS)."""

from __future__ import annotations

import hashlib
import http.client
import io
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import cloudcore as cc
from cloudcore.errors import Conflict, IntegrityError, NotFound, TransientError
from cloudcore.testing.faults import Fault
from cloudcore.testing.memory import MemoryProvider


@pytest.fixture
def cloud() -> Any:
    with MemoryProvider(multipart_threshold=4096, page_size=5, retry=False) as provider:
        provider.create_bucket({"name": "files"})
        yield provider


def _http(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> Any:
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_objects_are_shared_between_processes(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    code = (
        "import sys, cloudcore; c = cloudcore.connect('memory', state_file=sys.argv[1]);"
        "c.create_bucket({'name': 'shared'});"
        "print(c.put_object('shared', 'from/' + sys.argv[2], sys.argv[2].encode()).checksum)"
    )
    for who in ("one", "two"):
        subprocess.run([sys.executable, "-c", code, str(state), who], check=True)
    with MemoryProvider(state_file=state) as local:
        assert [o.key for o in local.list_objects("shared")] == ["from/one", "from/two"]
        with local.get_object("shared", "from/two") as reader:
            assert reader.read() == b"two"
    blobs = tmp_path / "state.json.blobs"
    assert blobs.stat().st_mode & 0o777 == 0o700
    files = list(blobs.iterdir())
    assert len(files) == 2 and all(f.stat().st_mode & 0o777 == 0o600 for f in files)


def test_large_objects_go_in_parts(cloud: Any) -> None:
    data = bytes(range(256)) * 40  # 10,240 bytes: 3 parts of 4 KiB
    with cc.record() as rec:
        info = cloud.put_object("files", "big", io.BytesIO(data))
    calls = [c.operation for c in rec.api_calls]
    assert calls == [
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPart",
        "UploadPart",
        "CompleteMultipartUpload",
    ]
    assert info.etag is not None and info.etag.endswith('-3"')
    with cc.record() as rec:
        cloud.put_object("files", "small", b"x" * 4096)
    assert [c.operation for c in rec.api_calls] == ["PutObject"]
    with cloud.get_object("files", "big") as reader:
        assert reader.read() == data


def test_a_failed_put_leaves_no_object_and_no_blob(cloud: Any) -> None:
    cloud.faults.inject(Fault("transient", api="UploadPart", times=1))
    with pytest.raises(TransientError):
        cloud.put_object("files", "big", b"y" * 10_000)
    cloud.faults.inject(Fault("transient", api="PutObject", times=1))
    with pytest.raises(TransientError):
        cloud.put_object("files", "small", b"y")
    assert list(cloud.list_objects("files")) == []
    assert len(cloud._blobs) == 0
    with pytest.raises(NotFound):
        cloud.put_object("nope-bucket", "k", b"data")
    assert len(cloud._blobs) == 0


class _Shifty(io.RawIOBase):
    """A stream whose content changes between the hashing pass and the upload pass."""

    def __init__(self) -> None:
        self.passes = 0
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset
        self.passes += 1
        return offset

    def readinto(self, buffer: Any) -> int:
        if self.pos >= 100:
            return 0
        n = min(len(buffer), 100 - self.pos)
        buffer[:n] = (b"a" if self.passes < 2 else b"b") * n
        self.pos += n
        return n


def test_data_changed_during_upload_is_refused(cloud: Any) -> None:
    with pytest.raises(IntegrityError, match="changed"):
        cloud.put_object("files", "shifty", _Shifty())
    with pytest.raises(NotFound):
        cloud.head_object("files", "shifty")


def test_versioning_suspended_keeps_old_versions(cloud: Any) -> None:
    cloud.create_bucket({"name": "docs", "versioning": True})
    v1 = cloud.put_object("docs", "k", b"one")
    cloud.create_bucket({"name": "docs", "versioning": False})
    cloud.put_object("docs", "k", b"two")
    cloud.put_object("docs", "k", b"three")  # replaces the null version, not v1
    with cloud.get_object("docs", "k", v1.version) as reader:
        assert reader.read() == b"one"
    with cloud.get_object("docs", "k", "null") as reader:
        assert reader.read() == b"three"
    cloud.delete_object("docs", "k")
    with pytest.raises(NotFound):
        cloud.get_object("docs", "k")
    with cloud.get_object("docs", "k", v1.version) as reader:
        assert reader.read() == b"one"
    with pytest.raises(Conflict):
        cloud.delete_bucket("docs")


def test_parallel_puts_and_deletes(cloud: Any) -> None:
    def work(i: int) -> None:
        cloud.put_object("files", f"k{i % 10}", f"v{i}".encode())
        if i % 3 == 0:
            cloud.delete_object("files", f"k{(i + 1) % 10}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(200)))
    for info in cloud.list_objects("files"):
        with cloud.get_object("files", info.key) as reader:
            assert hashlib.sha256(reader.read()).hexdigest() == info.checksum.split(":")[1]
    live = {i.key for i in cloud.list_objects("files")}
    referenced = len(live)
    assert len(cloud._blobs) == referenced, "blobs of replaced or deleted versions leaked"


def test_unmanaged_buckets_are_refused(cloud: Any) -> None:
    cloud.seed_bucket("theirs", {"a.txt": b"theirs"})
    with pytest.raises(Conflict, match="not managed"):
        cloud.delete_bucket("theirs", force=True)
    with pytest.raises(cc.AlreadyExists):
        cloud.create_bucket({"name": "theirs"})
    with pytest.raises(NotFound):
        cloud.presign("theirs", "a.txt")
    assert cloud.bucket_contents("theirs") == {"a.txt": b"theirs"}
    assert [b.name for b in cloud.list_buckets()] == ["files"]


# ------------------------------------------------------------------ presign endpoint


def test_presigned_urls_are_bound_to_method_key_and_signature(cloud: Any) -> None:
    cloud.put_object("files", "doc.txt", b"content")
    url = cloud.presign("files", "doc.txt")
    assert _http(url)[:2] == (200, b"content")
    assert _http(url, "PUT", b"overwrite")[0] == 403  # a GET URL does not write
    assert _http(url, "HEAD")[0] == 403
    assert _http(url.replace("doc.txt", "other.txt"))[0] == 403
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    status, body, _ = _http(tampered)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    later = url.replace("X-Cloudcore-Expires=", "X-Cloudcore-Expires=9")
    assert _http(later)[0] == 403  # the expiry is signed too
    put = cloud.presign("files", "doc.txt", "PUT")
    assert _http(put)[0] == 403  # a PUT URL does not read
    with cloud.get_object("files", "doc.txt") as reader:
        assert reader.read() == b"content"


def test_presigned_put_checks_content_type_and_length(cloud: Any) -> None:
    url = cloud.presign("files", "t.csv", "PUT", content_type="text/csv")
    status, body, _ = _http(url, "PUT", b"a,b", **{"Content-Type": "text/plain"})
    assert status == 403 and b"Content-Type" in body
    assert _http(url, "PUT", b"a,b", **{"Content-Type": "text/csv"})[0] == 200
    assert cloud.head_object("files", "t.csv").content_type == "text/csv"
    assert cloud.head_object("files", "t.csv").checksum_source == "provider"
    plain = urlsplit(cloud.presign("files", "chunked", "PUT"))
    conn = http.client.HTTPConnection(plain.netloc, timeout=10)
    conn.request("PUT", f"{plain.path}?{plain.query}", body=iter([b"abc"]), encode_chunked=True)
    assert conn.getresponse().status == 411  # S3 wants a Content-Length
    conn.close()


def test_expired_url_is_refused(cloud: Any) -> None:
    cloud.put_object("files", "doc", b"v")
    url = cloud.presign("files", "doc", expires_in=1)
    assert _http(url)[0] == 200
    time.sleep(1.2)
    status, body, _ = _http(url)
    assert status == 403 and b"Request has expired" in body


def test_public_bucket_reads_without_signature_but_never_writes(cloud: Any) -> None:
    bucket = cloud.create_bucket({"name": "site", "public_read": True})
    assert bucket.url is not None
    cloud.put_object("site", "index.html", b"<h1>hi</h1>", content_type="text/html")
    status, body, headers = _http(f"{bucket.url}/index.html")
    assert (status, body, headers["Content-Type"]) == (200, b"<h1>hi</h1>", "text/html")
    assert _http(f"{bucket.url}/index.html", "PUT", b"defaced")[0] == 403
    cloud.put_object("files", "private", b"secret")
    endpoint = bucket.url.rsplit("/", 1)[0]
    assert _http(f"{endpoint}/files/private")[0] == 403


def test_cors_follows_the_bucket_origins(cloud: Any) -> None:
    cloud.create_bucket({"name": "uploads", "cors_origins": ["https://*.example.com"]})
    url = cloud.presign("uploads", "photo.jpg", "PUT")
    ok = _http(
        url,
        "OPTIONS",
        Origin="https://app.example.com",
        **{"Access-Control-Request-Method": "PUT"},
    )
    assert ok[0] == 200 and ok[2]["Access-Control-Allow-Origin"] == "https://app.example.com"
    bad = _http(
        url, "OPTIONS", Origin="https://evil.test", **{"Access-Control-Request-Method": "PUT"}
    )
    assert bad[0] == 403
    status, _, headers = _http(url, "PUT", b"jpeg", Origin="https://app.example.com")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_the_endpoint_stops_with_the_provider() -> None:
    provider = MemoryProvider()
    provider.create_bucket({"name": "brief"})
    provider.put_object("brief", "k", b"v")
    url = provider.presign("brief", "k")
    assert _http(url)[0] == 200
    provider.close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)

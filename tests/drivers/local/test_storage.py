"""The local driver's object store: what the conformance suite cannot see from outside.

Keys never escape the store, writes are atomic, crash leftovers are ignored, puts stream, and the
presign endpoint runs under cloudcore's supervisord, refuses altered URLs and keeps its port when
supervisord restarts it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import tracemalloc
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from cloudcore.errors import NotFound
from cloudcore.models.storage import BucketConfig
from cloudcore_baremetal.local import LocalProvider
from cloudcore_baremetal.testing import local_target
from cloudcore_baremetal.transport.local import local_path

HAVE_SUPERVISOR = shutil.which("supervisord", path=local_path()) is not None
needs_supervisor = pytest.mark.skipif(
    not HAVE_SUPERVISOR and not os.environ.get("CI"), reason="supervisord is not installed"
)


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProvider]:
    with local_target(postgres=False) as provider:
        yield provider


@pytest.fixture
def bucket(local: LocalProvider, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "t-" + re.sub(r"[^a-z0-9]", "-", request.node.name.lower())[:50].strip("-")
    local.create_bucket(BucketConfig(name=name))
    yield name
    local.delete_bucket(name, force=True)


def _http(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> tuple:
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_keys_never_escape_the_bucket_folder(local: LocalProvider, bucket: str) -> None:
    root = Path(local.objects.store.root)
    keys = ["..x/..y", "a/..b/c..", "ünï/🔑", "with space", "%2e%2e/%2F", "\\..\\evil"]
    for key in keys:
        local.put_object(bucket, key, key.encode())
    # below the core's key rule the store itself is safe: a key is only ever hashed
    for raw in ("../../../escape", "/abs/path", "a//b/./c"):
        local.objects.store.put(bucket, raw, [b"x"], content_type=None, metadata={})
        keys.append(raw)
    files = [p for p in root.rglob("*") if p.is_file()]
    pattern = re.compile(
        rf"{re.escape(bucket)}/(bucket\.json|objects/[0-9a-f]{{2}}/[0-9a-f]{{64}}/[0-9]{{20}}"
        r"[0-9a-f]{12}\.(bin|json))"
    )
    rel = sorted(str(p.relative_to(root)) for p in files)
    assert all(pattern.fullmatch(r) for r in rel), rel
    assert len(rel) == 1 + 2 * len(keys)
    assert sorted(o.key for o in local.list_objects(bucket)) == sorted(keys)
    assert not any(p.name.startswith(".tmp-") for p in files), "a temporary file was left"


def test_crash_leftovers_are_ignored(local: LocalProvider, bucket: str) -> None:
    local.put_object(bucket, "doc", b"committed")
    info = local.head_object(bucket, "doc")
    folder = next(Path(local.objects.store.root, bucket, "objects").glob("*/*"))
    # a writer that died: a temporary file, and a data file whose sidecar never landed
    (folder / ".tmp-0123456789abcdef").write_bytes(b"half written")
    (folder / f"{'9' * 20}{'f' * 12}.bin").write_bytes(b"never committed")
    assert local.head_object(bucket, "doc") == info
    with local.get_object(bucket, "doc") as reader:
        assert reader.read() == b"committed"
    assert [o.key for o in local.list_objects(bucket)] == ["doc"]


def test_sidecar_records_checksum_and_metadata(local: LocalProvider, bucket: str) -> None:
    local.put_object(bucket, "k", b"abc", content_type="text/plain", metadata={"a": "1"})
    sidecar = next(Path(local.objects.store.root, bucket, "objects").rglob("*.json"))
    doc = json.loads(sidecar.read_text())
    assert doc["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert (doc["size"], doc["content_type"], doc["metadata"]) == (3, "text/plain", {"a": "1"})
    assert oct(sidecar.stat().st_mode & 0o777) == "0o600"


def test_put_streams_large_files(local: LocalProvider, bucket: str, tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    with path.open("wb") as fh:
        for _ in range(48):
            fh.write(os.urandom(1024 * 1024))
    tracemalloc.start()
    try:
        info = local.put_object(bucket, "big", path)
        with local.get_object(bucket, "big") as reader:
            for _chunk in reader.iter_chunks():
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.size == 48 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"a 48 MiB round trip peaked at {peak / 2**20:.1f} MiB"


def test_unmanaged_bucket_folder_is_refused(local: LocalProvider) -> None:
    folder = Path(local.objects.store.root, "hand-made")
    folder.mkdir(parents=True)
    (folder / "bucket.json").write_text('{"config": {}, "tags": {}}')
    try:
        with pytest.raises(NotFound):
            local.put_object("hand-made", "x", b"x")
        assert "hand-made" not in [b.name for b in local.list_buckets()]
    finally:
        shutil.rmtree(folder)


@needs_supervisor
def test_presign_endpoint_refuses_altered_urls(local: LocalProvider, bucket: str) -> None:
    local.put_object(bucket, "doc", b"secret doc")
    local.put_object(bucket, "other", b"other doc")
    url = local.presign(bucket, "doc", "GET", expires_in=300)
    assert _http(url)[:2] == (200, b"secret doc")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))

    def variant(path: str = parts.path, **change: str) -> str:
        return f"{parts.scheme}://{parts.netloc}{path}?{urlencode({**query, **change})}"

    later = str(int(query["X-Cloudcore-Expires"]) + 3_600_000)
    for bad in (
        variant(path=parts.path.replace("/doc", "/other")),  # another object
        variant(**{"X-Cloudcore-Expires": later}),  # a longer life
        variant(**{"X-Cloudcore-Signature": "0" * 64}),
    ):
        status, body, _ = _http(bad)
        assert status == 403 and b"SignatureDoesNotMatch" in body, (status, body)
    status, _, _ = _http(url, "PUT", b"overwrite")  # signed for GET only
    assert status == 403
    assert _http(f"{parts.scheme}://{parts.netloc}{parts.path}")[0] == 403  # unsigned, private
    put = local.presign(bucket, "up", "PUT", 300, content_type="text/csv")
    status, _, _ = _http(put, "PUT", b"a,b", **{"Content-Type": "text/plain"})
    assert status == 403, "a PUT with another content type than the signed one was accepted"
    status, _, _ = _http(put, "PUT", b"a,b", **{"Content-Type": "text/csv"})
    assert status == 200
    assert local.head_object(bucket, "up").content_type == "text/csv"


@needs_supervisor
def test_public_bucket_and_cors(local: LocalProvider) -> None:
    name = "t-public-cors"
    made = local.create_bucket(
        BucketConfig(name=name, public_read=True, cors_origins=("https://*.example.com",))
    )
    try:
        local.put_object(name, "index.html", b"<h1>hi</h1>", content_type="text/html")
        local.presign(name, "index.html")  # starts the endpoint
        base = local.get_bucket(name).url
        assert base is not None and made.config.public_read
        status, body, headers = _http(f"{base}/index.html", Origin="https://app.example.com")
        assert (status, body) == (200, b"<h1>hi</h1>")
        assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        status, _, headers = _http(
            f"{base}/index.html",
            "OPTIONS",
            Origin="https://evil.test",
            **{"Access-Control-Request-Method": "PUT"},
        )
        assert status == 403
        assert _http(f"{base}/index.html", "PUT", b"defaced")[0] == 403  # never public writes
    finally:
        local.delete_bucket(name, force=True)


@needs_supervisor
def test_endpoint_runs_under_supervisord_and_keeps_its_port(
    local: LocalProvider, bucket: str
) -> None:
    local.put_object(bucket, "doc", b"still here")
    url = local.presign(bucket, "doc", expires_in=600)
    state = local.inventory.hosts[0].state_dir
    conf = f"{state}/supervisor/supervisord.conf"
    ctl = ["supervisorctl", "-c", conf]
    env = {**os.environ, "PATH": local_path()}
    out = subprocess.run([*ctl, "status"], capture_output=True, text=True, env=env).stdout
    assert re.search(r"cc-objects:cc-objects-0\s+RUNNING", out), out
    key = Path(state, "storage", "endpoint", "hmac.key")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    pid = json.loads(Path(state, "storage", "endpoint", "listening.json").read_text())["pid"]
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert key.read_text().strip().encode() not in cmdline, "the signing key is on a command line"
    os.kill(pid, 9)  # supervisord restarts it, on the same port
    deadline = time.monotonic() + 15
    status, body = 0, b""
    while time.monotonic() < deadline:
        try:
            status, body, _ = _http(url)
        except OSError:  # refused or reset while it restarts
            status = 0
        if status == 200:
            break
        time.sleep(0.1)
    assert (status, body) == (200, b"still here"), "an issued URL broke after a restart"
    doc = json.loads(Path(state, "storage", "endpoint", "listening.json").read_text())
    assert doc["pid"] != pid


def test_discovery_lists_managed_buckets_only(local: LocalProvider, bucket: str) -> None:
    folder = Path(local.objects.store.root, "not-ours")
    folder.mkdir(parents=True)
    (folder / "bucket.json").write_text('{"config": {}, "tags": {"owner": "else"}}')
    try:
        found = {r.name: r for r in local.list_resources("bucket")}
        assert bucket in found and "not-ours" not in found
        assert found[bucket].tags["managed-by"] == "cloudcore"
    finally:
        shutil.rmtree(folder)

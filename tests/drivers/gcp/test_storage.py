"""Cloud Storage on the gcp driver: V4 signed URLs checked against the documented canonical
request, the stand-in's own refusals (contract tests of the proxy), and the documented limits the
driver enforces before any request (the emulator is laxer than Google)."""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from cloudcore.errors import ConfigurationError
from cloudcore.events import record
from cloudcore.models.storage import BucketConfig
from cloudcore_gcp.testing import fake_target
from cloudcore_gcp.testing._gcs import SA_EMAIL, canonical_v4


@pytest.fixture(scope="module")
def gcp() -> Iterator[Any]:
    with fake_target() as provider:
        yield provider


@pytest.fixture
def bucket(gcp: Any) -> Iterator[str]:
    name = f"st-{os.urandom(4).hex()}"
    gcp.create_bucket(BucketConfig(name=name))
    yield name
    gcp.delete_bucket(name, force=True)


def _http(url: str, method: str = "GET", data: bytes | None = None, **headers: str) -> tuple:
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_v4_url_has_the_documented_shape(gcp: Any, bucket: str) -> None:
    """https://cloud.google.com/storage/docs/authentication/signatures#signing-process: every
    required query parameter, the credential scope, the expiry, and the signed headers."""
    before = time.gmtime(time.time() - 1)
    url = gcp.presign(bucket, "dir/ünï file.txt", "PUT", 900, content_type="text/plain")
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query))
    assert parts.path == f"/{bucket}/dir/%C3%BCn%C3%AF%20file.txt"
    assert q["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    email, date, location, service, kind = q["X-Goog-Credential"].split("/")
    assert (email, location, service, kind) == (SA_EMAIL, "auto", "storage", "goog4_request")
    assert q["X-Goog-Date"].startswith(date) and len(q["X-Goog-Date"]) == 16
    assert time.strptime(q["X-Goog-Date"], "%Y%m%dT%H%M%SZ") >= before
    assert q["X-Goog-Expires"] == "900"
    assert q["X-Goog-SignedHeaders"] == "content-type;host"
    assert len(q["X-Goog-Signature"]) == 512 and int(q["X-Goog-Signature"], 16) >= 0
    canonical = canonical_v4(
        "PUT",
        "/" + bucket + "/dir/ünï file.txt",
        q,
        {"content-type": "text/plain", "host": parts.netloc},
    )
    lines = canonical.split("\n")
    assert lines[0] == "PUT" and lines[-1] == "UNSIGNED-PAYLOAD"
    assert lines[1] == parts.path  # the path as sent is the canonical (percent-encoded) path


def test_presigned_upload_of_5_mb_with_plain_http(gcp: Any, bucket: str) -> None:
    data = os.urandom(5 * 1024 * 1024)
    url = gcp.presign(bucket, "uploads/photo.jpg", "PUT", 600, content_type="image/jpeg")
    status, body = _http(url, "PUT", data, **{"Content-Type": "image/jpeg"})
    assert status == 200, body[:300]
    info = gcp.head_object(bucket, "uploads/photo.jpg")
    assert info.checksum_source == "provider" and info.checksum.startswith("crc32c:")
    with gcp.get_object(bucket, "uploads/photo.jpg") as reader:
        back = reader.read()
        assert reader.verified  # against Google's CRC32C
    assert hashlib.sha256(back).digest() == hashlib.sha256(data).digest()


def test_stand_in_refuses_altered_and_expired_urls(gcp: Any, bucket: str) -> None:
    """Contract tests of the proxy: the checks the emulator does not make are made."""
    gcp.put_object(bucket, "doc", b"secret")
    gcp.put_object(bucket, "other", b"other")
    url = gcp.presign(bucket, "doc", "GET", 600)
    assert _http(url) == (200, b"secret")
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query))

    def variant(path: str = parts.path, **change: str) -> str:
        return f"{parts.scheme}://{parts.netloc}{path}?{urlencode({**q, **change})}"

    for bad in (
        variant(path=parts.path.replace("/doc", "/other")),
        variant(**{"X-Goog-Expires": "604800"}),
        variant(**{"X-Goog-Signature": "0" * 512}),
    ):
        status, body = _http(bad)
        assert status == 403 and b"SignatureDoesNotMatch" in body, (status, body)
    assert _http(url, "PUT", b"x")[0] == 403  # signed for GET
    assert _http(f"{parts.scheme}://{parts.netloc}{parts.path}")[0] == 403  # private, unsigned
    put = gcp.presign(bucket, "typed", "PUT", 600, content_type="text/csv")
    assert _http(put, "PUT", b"a", **{"Content-Type": "text/plain"})[0] == 403
    short = gcp.presign(bucket, "doc", "GET", 1)
    time.sleep(2.2)
    status, body = _http(short)
    assert status == 400 and b"ExpiredToken" in body


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"tags": {"Team": "x"}}, "tags"),  # label keys are lowercase
        ({"tags": {"team": "X Y"}}, "tags"),  # values too, no spaces
        ({"tags": {"1st": "x"}}, "tags"),  # keys start with a letter
        ({"tags": {"t": "v" * 64}}, "tags"),  # 63 characters at most
        ({"tags": {f"k{i}": "v" for i in range(63)}}, "tags"),  # 64 labels, 2 are cloudcore's
        ({"extras": {"location": "EU"}}, "extras"),
    ],
)
def test_documented_limits_refused_before_any_request(
    gcp: Any, config: dict[str, Any], field: str
) -> None:
    with record() as rec, pytest.raises(ConfigurationError) as err:
        gcp.create_bucket(BucketConfig(name="limits-check", **config))
    assert err.value.field == field
    assert not rec.api_calls, "a refused config still reached the API"


def test_presign_without_signing_credentials_names_the_option() -> None:
    from google.auth.credentials import AnonymousCredentials

    from cloudcore_gcp.provider import GCPProvider

    provider = GCPProvider(project="p", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    with record() as rec, pytest.raises(ConfigurationError) as err:
        provider.presign("any-bucket", "key")
    assert err.value.field == "signing_credentials" and "signing_credentials" in str(err.value)
    assert not rec.api_calls


def test_discovery_lists_managed_buckets_only(gcp: Any, bucket: str) -> None:
    from cloudcore.testing.probes import bucket_seeder_for

    seeder = bucket_seeder_for(gcp)
    assert seeder is not None
    seeder.create_unmanaged_bucket("someone-elses", {"a": b"1"})
    try:
        names = [r.name for r in gcp.list_resources("bucket")]
        assert bucket in names and "someone-elses" not in names
    finally:
        seeder.remove_unmanaged_bucket("someone-elses")

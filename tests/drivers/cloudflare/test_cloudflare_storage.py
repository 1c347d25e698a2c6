"""R2 storage: R2's differences from S3 refused before any request, the endpoint and credential
rules, the managed-by marker, and presigned uploads through plain HTTP."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from typing import Any

import pytest

import cloudcore
from cloudcore.errors import ConfigurationError, Unsupported
from cloudcore.models.storage import BucketConfig, LifecycleRule
from cloudcore.testing.wire import wire_counter_for
from cloudcore_cloudflare._r2 import MARKER_KEY, r2_endpoint, r2_session
from cloudcore_cloudflare.provider import CloudflareProvider

ACCOUNT = "0123456789abcdef0123456789abcdef"


def _no_requests(cf: Any) -> Any:
    counter = wire_counter_for(cf)
    assert counter is not None
    return counter.snapshot()


@pytest.mark.parametrize(
    ("config", "feature"),
    [
        ({"versioning": True}, "versioning"),
        ({"public_read": True}, "public"),
    ],
)
def test_what_r2_lacks_is_unsupported_before_any_request(
    cf: Any, config: dict[str, Any], feature: str
) -> None:
    before = _no_requests(cf)
    with pytest.raises(Unsupported) as info:
        cf.create_bucket(BucketConfig(name="r2-lacks", **config))
    assert "developers.cloudflare.com/r2" in str(info.value), "the reason cites R2's docs"
    assert feature in str(info.value)
    assert wire_counter_for(cf).since(before).requests == 0  # type: ignore[union-attr]


def test_extras_and_part_sizes_refused_naming_the_field(cf: Any) -> None:
    before = _no_requests(cf)
    with pytest.raises(ConfigurationError) as info:
        cf.create_bucket(BucketConfig(name="r2-extras", extras={"acl": "public-read"}))
    assert info.value.field == "extras.acl"
    for field, value in (("part_size", 1024), ("multipart_threshold", 6 * 1024**3)):
        with pytest.raises(ConfigurationError) as info:
            setattr(cf, field, value)
        assert info.value.field == field and "multipart-objects" in str(info.value)
    assert wire_counter_for(cf).since(before).requests == 0  # type: ignore[union-attr]


def test_endpoint_from_account_and_jurisdiction() -> None:
    assert r2_endpoint(ACCOUNT, None, "default") == f"https://{ACCOUNT}.r2.cloudflarestorage.com"
    assert r2_endpoint(ACCOUNT, None, "eu") == f"https://{ACCOUNT}.eu.r2.cloudflarestorage.com"
    for account, jurisdiction, field in (
        (None, "default", "account_id"),
        ("not-hex", "default", "account_id"),
        (ACCOUNT, "mars", "r2_jurisdiction"),
    ):
        with pytest.raises(ConfigurationError) as info:
            r2_endpoint(account, None, jurisdiction)
        assert info.value.field == field
    with pytest.raises(ConfigurationError):
        r2_endpoint(ACCOUNT, "ftp://x", "default")


def test_r2_never_falls_back_to_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAAWSKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-value")
    monkeypatch.delenv("R2_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("R2_SECRET_ACCESS_KEY", raising=False)
    with pytest.raises(ConfigurationError) as info:
        r2_session(None, None)
    assert info.value.field == "r2_profile" and "aws-secret-value" not in str(info.value)
    monkeypatch.setenv("R2_ACCESS_KEY_ID", "r2-key")
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", "r2-secret-value")
    creds = r2_session(None, None).get_credentials()
    assert (creds.access_key, creds.secret_key) == ("r2-key", "r2-secret-value")
    cloud = CloudflareProvider(account_id=ACCOUNT)
    assert "r2-secret-value" not in repr(cloud)


def test_marker_is_never_user_data(cf: Any) -> None:
    raw = cf.r2_stand_in.client()
    cf.create_bucket(BucketConfig(name="r2-marker", tags={"team": "web"}))
    try:
        keys = [o["Key"] for o in raw.list_objects_v2(Bucket="r2-marker").get("Contents", [])]
        assert keys == [MARKER_KEY], "the bucket holds exactly cloudcore's marker"
        assert list(cf.list_objects("r2-marker")) == []
        assert list(cf.list_objects("r2-marker", ".cloudcore")) == []
        cf.put_object("r2-marker", "a", b"1")
        assert [o.key for o in cf.list_objects("r2-marker")] == ["a"]
    finally:
        cf.delete_bucket("r2-marker", force=True)
    assert "r2-marker" not in [b["Name"] for b in raw.list_buckets()["Buckets"]]


def test_lifecycle_and_cors_round_trip_through_s3_api(cf: Any) -> None:
    config = BucketConfig(
        name="r2-fields",
        lifecycle=(LifecycleRule(prefix="tmp/", expire_days=7),),
        cors_origins=("https://app.example.com",),
        tags={"team": "web"},
    )
    try:
        cf.create_bucket(config)
        assert cf.get_bucket("r2-fields").config == config
        with cloudcore.record() as rec:
            cf.create_bucket(config)
        assert all(not c.mutating for c in rec.api_calls), "an unchanged config wrote"
        raw = cf.r2_stand_in.client()
        rules = raw.get_bucket_lifecycle_configuration(Bucket="r2-fields")["Rules"]
        assert rules[0]["Expiration"] == {"Days": 7}
    finally:
        cf.delete_bucket("r2-fields", force=True)


def test_presigned_upload_of_5_mb_through_plain_http(cf: Any) -> None:
    data = os.urandom(5 * 1024 * 1024)
    cf.create_bucket(BucketConfig(name="r2-presign"))
    try:
        url = cf.presign("r2-presign", "photo.jpg", "PUT", 600, content_type="image/jpeg")
        req = urllib.request.Request(
            url, data=data, method="PUT", headers={"Content-Type": "image/jpeg"}
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert resp.status == 200
        with cf.get_object("r2-presign", "photo.jpg") as reader:
            back = reader.read()
            assert reader.verified
        assert hashlib.sha256(back).digest() == hashlib.sha256(data).digest()
        assert cf.head_object("r2-presign", "photo.jpg").content_type == "image/jpeg"
    finally:
        cf.delete_bucket("r2-presign", force=True)

"""Object storage models: buckets, their configuration, and objects' metadata.

Bucket names follow the strictest rule set common to S3, Cloud Storage and R2, so one name works
everywhere. Object keys follow the portable key rule below, so one key means one object on every
driver (a directory store included).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ._base import Extras, Model, Tags

__all__ = [
    "BUCKET_NAME_RULE",
    "MAX_KEY_BYTES",
    "Bucket",
    "BucketConfig",
    "LifecycleRule",
    "ObjectInfo",
    "check_bucket_name",
    "check_content_type",
    "check_metadata",
    "check_object_key",
    "check_version",
]

BUCKET_NAME_RULE = (
    "3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or "
    "digit, not starting with 'xn--', 'sthree-' or 'goog', not containing "
    "'google' and not ending with '-s3alias' or '--ol-s3'"
)
"""The bucket name rule, in words (for errors and docs)."""

_BUCKET_RE = re.compile(r"\A[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\Z")
# Reserved by S3 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)
# and Cloud Storage (https://cloud.google.com/storage/docs/buckets#naming).
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "goog")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")

MAX_KEY_BYTES = 1024
"""Longest object key in UTF-8 bytes (S3, Cloud Storage and R2 all allow 1,024)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_META_KEY_RE = re.compile(r"\A[a-z0-9][a-z0-9-]{0,127}\Z")
_CONTENT_TYPE_RE = re.compile(
    r"\A[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
    r"(?:\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|\"[^\"\\\x00-\x1f]*\"))*\Z"
)
_ORIGIN_RE = re.compile(r"\A(?:\*|https?://(?:\*\.)?[a-z0-9.-]+(?::[0-9]{1,5})?)\Z")
MAX_METADATA_BYTES = 2048
"""User metadata budget (keys + values, UTF-8), S3's limit for user-defined metadata."""


def check_bucket_name(value: str) -> str:
    """Check a bucket name against :data:`BUCKET_NAME_RULE`; returns it or raises ``ValueError``."""
    if not isinstance(value, str) or not _BUCKET_RE.fullmatch(value):
        raise ValueError(f"bucket names are {BUCKET_NAME_RULE}")
    if value.startswith(_BUCKET_RESERVED_PREFIXES) or value.endswith(_BUCKET_RESERVED_SUFFIXES):
        raise ValueError(f"bucket names are {BUCKET_NAME_RULE}")
    if "google" in value:
        raise ValueError(f"bucket names are {BUCKET_NAME_RULE}")
    return value  # no dots are allowed, so no name looks like an IP address


def check_object_key(value: str) -> str:
    """Check an object key against the portable key rule; returns it or raises ``ValueError``.

    The rule: 1 to 1,024 bytes of UTF-8; no control characters (Cloud Storage refuses CR and LF,
    and no key should carry a NUL); no leading ``/``, no empty path segment (``a//b``), no
    ``.`` or ``..`` segment, and no trailing ``/`` (a key names an object, never a folder) — so a
    key maps to exactly one file in a directory store and never escapes it. Spaces and any other
    Unicode are fine.
    """
    if not isinstance(value, str) or not value:
        raise ValueError("object keys are non-empty strings")
    if len(value.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ValueError(f"object keys are at most {MAX_KEY_BYTES} bytes of UTF-8")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("object keys must be valid Unicode (no lone surrogates)") from None
    if _CONTROL.search(value):
        raise ValueError("object keys must not contain control characters")
    if value.startswith("/"):
        raise ValueError("object keys must not start with '/'")
    if value.endswith("/"):
        raise ValueError("object keys must not end with '/' (a key names an object)")
    for part in value.split("/"):
        if part in ("", ".", ".."):
            raise ValueError("object keys must not contain empty, '.' or '..' path segments")
    return value


_VERSION_RE = re.compile(r"\A[\x21-\x7e]{1,1024}\Z")


def check_version(value: str) -> str:
    """Check a version id: 1-1,024 printable ASCII characters, no space (S3 version ids, Cloud
    Storage generations and directory-store ids all are; a tool schema states it exactly)."""
    if not isinstance(value, str) or not _VERSION_RE.fullmatch(value):
        raise ValueError("version ids are 1-1024 printable ASCII characters without spaces")
    return value


def check_content_type(value: str) -> str:
    """Check a MIME type (``type/subtype`` with optional parameters)."""
    if not isinstance(value, str) or len(value) > 255 or not _CONTENT_TYPE_RE.fullmatch(value):
        raise ValueError("content types look like 'text/plain' or 'text/plain; charset=utf-8'")
    return value


def check_metadata(value: dict[str, str]) -> dict[str, str]:
    """Check user metadata: lowercase keys of letters, digits and '-', printable ASCII values,
    at most 2 KiB in all (S3's budget; the other providers allow more)."""
    total = 0
    for key, val in value.items():
        if not isinstance(key, str) or not _META_KEY_RE.fullmatch(key):
            raise ValueError(
                f"metadata key {key!r} must be 1-128 lowercase letters, digits or '-', "
                "starting with a letter or digit"
            )
        if key.startswith("cloudcore-"):
            raise ValueError(f"metadata key {key!r}: the prefix 'cloudcore-' is reserved")
        if not isinstance(val, str) or not all(0x20 <= ord(c) < 0x7F for c in val):
            raise ValueError(f"metadata {key!r}: values are printable ASCII")
        total += len(key) + len(val)
    if total > MAX_METADATA_BYTES:
        raise ValueError(f"metadata: at most {MAX_METADATA_BYTES} bytes of keys and values")
    return value


def _check_origin(value: str) -> str:
    if not _ORIGIN_RE.fullmatch(value):
        raise ValueError(
            f"CORS origin {value!r} must be '*' or scheme://host[:port] (http or https, "
            "lowercase, optionally '*.' before the host)"
        )
    return value


BucketName = Annotated[str, AfterValidator(check_bucket_name)]
ObjectKey = Annotated[str, AfterValidator(check_object_key)]
Origin = Annotated[str, AfterValidator(_check_origin)]


def _check_prefix(value: str) -> str:
    if value:
        if _CONTROL.search(value) or value.startswith("/"):
            raise ValueError("a prefix has no control characters and does not start with '/'")
        if len(value.encode()) > MAX_KEY_BYTES:
            raise ValueError(f"a prefix is at most {MAX_KEY_BYTES} bytes")
    return value


KeyPrefix = Annotated[str, AfterValidator(_check_prefix)]


class LifecycleRule(Model):
    """Delete objects under ``prefix`` some days after they were written.

    Attributes:
        prefix: Key prefix the rule applies to (``""``: every object).
        expire_days: Days after creation when the current version expires.
        noncurrent_expire_days: For versioned buckets: days after an object version stops being
            current when it is deleted; ``None`` keeps old versions.
    """

    prefix: KeyPrefix = ""
    expire_days: Annotated[int, Field(ge=1, le=36_500)]
    noncurrent_expire_days: Annotated[int, Field(ge=1, le=36_500)] | None = None


class BucketConfig(Model):
    """A bucket: where objects live.

    Attributes:
        name: The bucket's name (the strictest common rule, :data:`BUCKET_NAME_RULE`).
            Drivers whose bucket names are global may map it to a provider name (documented
            per driver); the cloudcore name is what every call takes.
        versioning: Keep every version of every object.
        public_read: Anyone may read objects without credentials (writes never are public).
        lifecycle: Expiry rules, at most 100.
        cors_origins: Origins allowed to call the bucket from a browser (presigned uploads).
        tags: User tags.
        extras: Provider-specific options.
    """

    name: BucketName
    versioning: bool = False
    public_read: bool = False
    lifecycle: Annotated[tuple[LifecycleRule, ...], Field(max_length=100)] = ()
    cors_origins: Annotated[tuple[Origin, ...], Field(max_length=100)] = ()
    tags: Tags = Field(default_factory=dict)
    extras: Extras = Field(default_factory=dict)


class Bucket(Model):
    """A bucket as it exists: its portable configuration, read back, and where it answers.

    Attributes:
        name: cloudcore name.
        config: The portable configuration read back from the provider (``create_bucket`` of it
            again is a no-op).
        provider_name: The provider's own bucket name, when the driver maps names.
        url: Base URL of the bucket, when it has one.
        region: Region or location.
        created_at: Creation time (UTC), when known.
    """

    name: str
    config: BucketConfig
    provider_name: str | None = None
    url: str | None = None
    region: str | None = None
    created_at: datetime | None = None


class ObjectInfo(Model):
    """An object's metadata (never its data).

    Attributes:
        bucket: cloudcore bucket name.
        key: Object key.
        size: Size in bytes.
        checksum: ``"sha256:<hex>"`` of the content when cloudcore wrote it (or computed it);
            otherwise the provider's own (``"md5:<hex>"``, ``"crc32c:<base64>"``), or ``None``.
        etag: The provider's entity tag, when it has one.
        version: Version id on versioned buckets (``None`` elsewhere).
        content_type: MIME type.
        metadata: User metadata.
        modified_at: Last write (UTC), when known.
        checksum_source: Where ``checksum`` came from: ``"cloudcore"`` (SHA-256 recorded when
            cloudcore wrote the object) or ``"provider"`` (the provider's own hash).
    """

    bucket: str
    key: str
    size: Annotated[int, Field(ge=0)]
    checksum: str | None = None
    etag: str | None = None
    version: str | None = None
    content_type: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    modified_at: datetime | None = None
    checksum_source: Literal["cloudcore", "provider"] = "cloudcore"
